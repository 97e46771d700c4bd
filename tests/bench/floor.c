/* floor.c — the kernel's own cost of a conntrack dump: ask for it, receive
 * every message, look at none (only the headers, to see where it ends).
 * Nothing can read the table faster than this; ctscope's dump mode is
 * measured against it.
 *
 *   floor [--netns NAME]
 */
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--netns") == 0) {
		char path[256];
		snprintf(path, sizeof(path), "/run/netns/%s", argv[2]);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
			fprintf(stderr, "floor: cannot enter %s: %s\n", path, strerror(errno));
			return 1;
		}
		close(fd);
	} else if (argc != 1) {
		fprintf(stderr, "usage: floor [--netns NAME]\n");
		return 2;
	}
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		fprintf(stderr, "floor: cannot open ctnetlink: %s\n", strerror(errno));
		return 1;
	}
	static char buf[64 * 1024];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	struct nfgenmsg *nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		fprintf(stderr, "floor: cannot send: %s\n", strerror(errno));
		return 1;
	}
	unsigned long messages = 0;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0) {
			fprintf(stderr, "floor: cannot receive: %s\n", strerror(errno));
			return 1;
		}
		int len = (int)n;
		for (struct nlmsghdr *m = (struct nlmsghdr *)buf; mnl_nlmsg_ok(m, len); m = mnl_nlmsg_next(m, &len)) {
			if (m->nlmsg_type == NLMSG_DONE || m->nlmsg_type == NLMSG_ERROR) {
				printf("%lu\n", messages);
				mnl_socket_close(nl);
				return 0;
			}
			messages++;
		}
	}
}
