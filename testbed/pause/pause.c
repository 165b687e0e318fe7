/* The pod sandbox's init process: holds the pod's namespaces, reaps zombies, exits on
 * SIGINT/SIGTERM. Built statically so the pause image needs nothing but this file. */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_stop(int sig) { _exit(128 + sig); }

static void on_child(int sig) {
  (void)sig;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(void) {
  struct sigaction stop = {.sa_handler = on_stop};
  struct sigaction child = {.sa_handler = on_child, .sa_flags = SA_NOCLDSTOP};
  if (getpid() != 1) {
    /* Not a problem, but worth saying: zombies are reaped only as PID 1. */
    write(2, "pause: not running as PID 1\n", 28);
  }
  sigaction(SIGINT, &stop, NULL);
  sigaction(SIGTERM, &stop, NULL);
  sigaction(SIGCHLD, &child, NULL);
  for (;;) pause();
  return 1;
}
