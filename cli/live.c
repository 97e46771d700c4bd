/* live.c — the redrawn screen of `ctscope --interval S` on a terminal.
 * The report is rendered whole, then drawn from the top: what matters most
 * (fill, top destinations) comes first in the report, so when the terminal
 * is shorter than the report, the bottom is what is left out, and the last
 * line says how much was. */
#include <string.h>

#include "cli.h"

int cli_live_draw(FILE *out, const char *screen, size_t len, unsigned rows)
{
	/* Home, clear: one write with the text, so the screen does not flicker. */
	fputs("\033[H\033[2J", out);
	size_t total = 0;
	for (size_t i = 0; i < len; i++)
		total += screen[i] == '\n';
	if (len > 0 && screen[len - 1] != '\n')
		total++;
	if (rows < 2 || total <= rows - 1) {
		/* Unknown height (0), or it fits; the last row stays free so the
		 * cursor does not scroll the first line away. */
		fwrite(screen, 1, len, out);
		return ferror(out) ? -1 : 0;
	}
	size_t shown = rows - 2, pos = 0;
	for (size_t line = 0; line < shown && pos < len; line++) {
		const char *nl = memchr(screen + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - screen) + 1 : len;
		fwrite(screen + pos, 1, end - pos, out);
		pos = end;
	}
	fprintf(out, "... %zu more lines: enlarge the terminal, or use --top or --mode stats\n", total - shown);
	return ferror(out) ? -1 : 0;
}
