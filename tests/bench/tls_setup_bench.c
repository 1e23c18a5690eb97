/* tls_setup_bench.c - where a CLI command's fixed cost goes before it sends a byte: the CPU time of
 * each step `planreg` takes to set up TLS (client/net.c), each in a fresh process, as every command
 * pays it. The process start (exec, loading libssl and libcrypto, relocations) is what the child's
 * whole CPU time (getrusage) leaves over after the steps.
 *
 *   build/release/tests/planreg-tls-setup-bench CA CERT KEY [RUNS]
 *
 * Prints the median of RUNS (default 20) per step, in milliseconds of CPU time.
 */
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { STEP_INIT, STEP_CTX, STEP_CA, STEP_CERT, STEP_KEY, STEP_SSL, STEP_COUNT };
static const char *const step_names[STEP_COUNT] = {"OpenSSL init (config file, providers)",
						   "SSL_CTX_new",
						   "CA certificate into the store",
						   "client certificate",
						   "private key",
						   "SSL_new"};

static double cpu_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static BIO *open_pem(const char *path)
{
	BIO *b = BIO_new_file(path, "r");
	if (b == NULL) {
		fprintf(stderr, "planreg-tls-setup-bench: cannot read %s\n", path);
		exit(2);
	}
	return b;
}

/* One run, in this process: the steps net_connect() takes, timed; writes STEP_COUNT doubles to fd. */
static int run_once(const char *ca, const char *cert, const char *key, int fd)
{
	double t[STEP_COUNT + 1];
	t[0] = cpu_ms();
	OPENSSL_init_ssl(OPENSSL_INIT_LOAD_CONFIG, NULL);
	t[1] = cpu_ms();
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	t[2] = cpu_ms();
	BIO *b = open_pem(ca);
	X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	int ok = x != NULL && X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), x) == 1;
	X509_free(x);
	BIO_free(b);
	t[3] = cpu_ms();
	b = open_pem(cert);
	x = PEM_read_bio_X509_AUX(b, NULL, NULL, NULL);
	ok = ok && x != NULL && SSL_CTX_use_certificate(ctx, x) == 1;
	X509_free(x);
	BIO_free(b);
	t[4] = cpu_ms();
	b = open_pem(key);
	EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	ok = ok && k != NULL && SSL_CTX_use_PrivateKey(ctx, k) == 1 && SSL_CTX_check_private_key(ctx) == 1;
	EVP_PKEY_free(k);
	BIO_free(b);
	t[5] = cpu_ms();
	SSL *ssl = SSL_new(ctx);
	t[6] = cpu_ms();
	if (!ok || ssl == NULL) {
		fprintf(stderr, "planreg-tls-setup-bench: the certificate, key or CA did not load\n");
		ERR_print_errors_fp(stderr);
		return 2;
	}
	double d[STEP_COUNT];
	for (int i = 0; i < STEP_COUNT; i++)
		d[i] = t[i + 1] - t[i];
	if (write(fd, d, sizeof d) != (ssize_t)sizeof d)
		return 2;
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	if (argc == 6 && strcmp(argv[1], "--child") == 0)
		return run_once(argv[2], argv[3], argv[4], atoi(argv[5]));
	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: planreg-tls-setup-bench CA CERT KEY [RUNS]\n");
		return 2;
	}
	int runs = argc == 5 ? atoi(argv[4]) : 20;
	if (runs < 1 || runs > 1000) {
		fprintf(stderr, "planreg-tls-setup-bench: RUNS must be 1 to 1000\n");
		return 2;
	}
	double *steps = calloc((size_t)runs * (STEP_COUNT + 2), sizeof *steps);
	if (steps == NULL)
		return 2;
	double *whole = steps + (size_t)runs * STEP_COUNT, *start = whole + runs;
	for (int r = 0; r < runs; r++) {
		int p[2];
		if (pipe(p) != 0)
			return 2;
		char fdbuf[16];
		snprintf(fdbuf, sizeof fdbuf, "%d", p[1]);
		pid_t pid = fork();
		if (pid == 0) {
			close(p[0]);
			execl("/proc/self/exe", argv[0], "--child", argv[1], argv[2], argv[3], fdbuf, (char *)NULL);
			_exit(127);
		}
		close(p[1]);
		double d[STEP_COUNT];
		ssize_t got = read(p[0], d, sizeof d);
		close(p[0]);
		int status;
		struct rusage ru;
		if (pid < 0 || wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
		    got != (ssize_t)sizeof d) {
			fprintf(stderr, "planreg-tls-setup-bench: run %d failed\n", r + 1);
			return 1;
		}
		double sum = 0;
		for (int i = 0; i < STEP_COUNT; i++) {
			steps[i * runs + r] = d[i];
			sum += d[i];
		}
		whole[r] = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
			   (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
		start[r] = whole[r] - sum;
	}
	printf("CPU ms per step, median of %d fresh processes:\n", runs);
	double total = 0;
	for (int i = 0; i < STEP_COUNT; i++) {
		double m = median(steps + i * runs, runs);
		total += m;
		printf("  %-40s %6.2f\n", step_names[i], m);
	}
	printf("  %-40s %6.2f\n", "sum of the steps", total);
	printf("  %-40s %6.2f\n", "process start, loading and exit (rest)", median(start, runs));
	printf("  %-40s %6.2f\n", "whole process (getrusage)", median(whole, runs));
	free(steps);
	return 0;
}
