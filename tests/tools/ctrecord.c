/* ctrecord.c — records what the kernel answers to a conntrack dump, byte
 * for byte, so parser tests and the fuzzer's seed corpus are real kernel
 * messages rather than what we think the kernel sends.
 *
 *   ctrecord [--netns NAME] OUT      dump the table into OUT
 *
 * OUT holds the concatenated receive buffers, ending with NLMSG_DONE; it
 * is itself one valid buffer of netlink messages. Sequence numbers and
 * port ids are zeroed so libmnl's checks accept it in any test.
 */
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int enter_netns(const char *name)
{
	char path[256];
	snprintf(path, sizeof(path), strchr(name, '/') ? "%s" : "/run/netns/%s", name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "ctrecord: cannot enter network namespace %s: %s\n", path, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	const char *out = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--netns") == 0 && i + 1 < argc) {
			if (enter_netns(argv[++i]) < 0)
				return 1;
		} else if (!out && argv[i][0] != '-') {
			out = argv[i];
		} else {
			fprintf(stderr, "usage: ctrecord [--netns NAME] OUT\n");
			return 2;
		}
	}
	if (!out) {
		fprintf(stderr, "usage: ctrecord [--netns NAME] OUT\n");
		return 2;
	}
	FILE *f = fopen(out, "wb");
	if (!f) {
		fprintf(stderr, "ctrecord: cannot write %s: %s\n", out, strerror(errno));
		return 1;
	}
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		fprintf(stderr, "ctrecord: cannot open ctnetlink: %s (needs CAP_NET_ADMIN)\n", strerror(errno));
		return 1;
	}
	static char buf[65536];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = 1;
	struct nfgenmsg *nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		fprintf(stderr, "ctrecord: cannot send the dump request: %s\n", strerror(errno));
		return 1;
	}
	size_t messages = 0;
	for (bool done = false; !done;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0) {
			fprintf(stderr, "ctrecord: cannot receive the dump: %s\n", strerror(errno));
			return 1;
		}
		int len = (int)n;
		for (struct nlmsghdr *m = (struct nlmsghdr *)buf; mnl_nlmsg_ok(m, len); m = mnl_nlmsg_next(m, &len)) {
			m->nlmsg_seq = 0;
			m->nlmsg_pid = 0;
			if (m->nlmsg_type == NLMSG_DONE || m->nlmsg_type == NLMSG_ERROR)
				done = true;
			else
				messages++;
		}
		if (fwrite(buf, 1, (size_t)n, f) != (size_t)n) {
			fprintf(stderr, "ctrecord: cannot write %s: %s\n", out, strerror(errno));
			return 1;
		}
	}
	if (fclose(f) != 0) {
		fprintf(stderr, "ctrecord: cannot write %s: %s\n", out, strerror(errno));
		return 1;
	}
	mnl_socket_close(nl);
	fprintf(stderr, "ctrecord: %zu entries recorded in %s\n", messages, out);
	return 0;
}
