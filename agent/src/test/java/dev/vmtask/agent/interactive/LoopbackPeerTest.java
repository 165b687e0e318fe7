package dev.vmtask.agent.interactive;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class LoopbackPeerTest {
  private static final List<String> TABLE =
      List.of(
          "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid"
              + "  timeout inode",
          "   0: 0100007F:1FA4 00000000:0000 0A 00000000:00000000 00:00000000 00000000 65532"
              + "        0 1 1 0000000000000000 100 0 0 10 0",
          "   1: 0100007F:1FA4 0100007F:B4E2 01 00000000:00000000 00:00000000 00000000 65532"
              + "        0 2 1 0000000000000000 20 4 30 10 -1",
          "   2: 0100007F:B4E2 0100007F:1FA4 01 00000000:00000000 00:00000000 00000000     0"
              + "        0 3 1 0000000000000000 20 4 30 10 -1");

  @Test
  void findsTheUidOwningThePeersEnd() {
    // 0x1FA4 = 8100, 0xB4E2 = 46306: the peer's socket is line 2, owned by root.
    assertThat(LoopbackPeer.uid(TABLE, 46306, 8100)).hasValue(0);
  }

  @Test
  void anUnlistedPeerHasNoUid() {
    assertThat(LoopbackPeer.uid(TABLE, 40000, 8100)).isEmpty();
  }
}
