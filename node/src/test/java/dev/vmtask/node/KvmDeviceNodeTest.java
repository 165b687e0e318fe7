package dev.vmtask.node;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class KvmDeviceNodeTest {
  @Test
  void deviceNumbersSplitAsGlibcDoes() {
    long kvm = (10L << 8) | 232; // /dev/kvm: 10, 232
    assertThat(KvmDeviceNode.major(kvm)).isEqualTo(10);
    assertThat(KvmDeviceNode.minor(kvm)).isEqualTo(232);
    // glibc's makedev for numbers beyond the old 8-bit fields
    long major = 0x1234;
    long minor = 0x56789;
    long rdev =
        ((major & 0xfff) << 8)
            | ((major & ~0xfffL) << 32)
            | (minor & 0xff)
            | ((minor & ~0xffL) << 12);
    assertThat(KvmDeviceNode.major(rdev)).isEqualTo(major);
    assertThat(KvmDeviceNode.minor(rdev)).isEqualTo(minor);
  }
}
