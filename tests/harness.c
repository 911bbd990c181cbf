/* harness.c - runs the registered tests, one forked child each. */
#include "harness.h"

int sp_test_main(int argc, char **argv)
{
	const char *filter = argc > 1 ? argv[1] : NULL;
	int nofork = getenv("SP_NOFORK") != NULL;
	int passed = 0, failed = 0, skipped = 0;
	for (int i = 0; i < sp_test_count; i++) {
		struct sp_test_case *t = &sp_test_cases[i];
		if (filter && !strstr(t->name, filter))
			continue;
		int code;
		if (nofork) {
			t->fn();
			code = 0;
		} else {
			fflush(NULL);
			pid_t pid = fork();
			if (pid == 0) {
				t->fn();
				fflush(NULL);
				_exit(0);
			}
			int status = 0;
			waitpid(pid, &status, 0);
			if (WIFEXITED(status))
				code = WEXITSTATUS(status);
			else {
				fprintf(stderr, "%s: killed by signal %d\n", t->name,
					WIFSIGNALED(status) ? WTERMSIG(status) : 0);
				code = 1;
			}
		}
		if (code == 0) {
			passed++;
			printf("ok   %s\n", t->name);
		} else if (code == 77) {
			skipped++;
			printf("skip %s\n", t->name);
		} else {
			failed++;
			printf("FAIL %s\n", t->name);
		}
	}
	printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	if (failed)
		return 1;
	if (passed == 0 && skipped > 0)
		return 77;
	if (passed == 0)
		return 1; /* a test file that ran nothing must not pass */
	return 0;
}
