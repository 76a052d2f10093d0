/* Pause container: holds a pod's namespaces, reaps zombies, exits on
 * SIGINT/SIGTERM (the same job as upstream build/pause/linux/pause.c). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_exit_signal(int sig) { _exit(0); }

static void on_child(int sig) {
	while (waitpid(-1, NULL, WNOHANG) > 0) {
	}
}

int main(int argc, char **argv) {
	if (argc > 1 && argv[1][0] == '-' && argv[1][1] == 'v') {
		printf("pause (moorage prototype)\n");
		return 0;
	}
	if (getpid() != 1)
		fprintf(stderr, "pause: warning: not pid 1\n");
	struct sigaction exit_action = {.sa_handler = on_exit_signal};
	struct sigaction child_action = {.sa_handler = on_child, .sa_flags = SA_NOCLDSTOP};
	if (sigaction(SIGINT, &exit_action, NULL) < 0 || sigaction(SIGTERM, &exit_action, NULL) < 0 ||
	    sigaction(SIGCHLD, &child_action, NULL) < 0)
		return 1;
	for (;;)
		pause();
}
