/*
 * command.h — the control protocol's commands, parsed: one line as telchap sends it (words
 * quoted the way a POSIX shell would, chaperone's shlex.split) into a verb, its options and its
 * arguments. Pure: no sockets, no system; the control socket, the FIFO and the unit tests and
 * fuzzer all use the same parser.
 */
#ifndef TEND_CTL_COMMAND_H
#define TEND_CTL_COMMAND_H

#include <stdbool.h>
#include <stddef.h>

#define CTL_LINE_MAX 4096 /* longest command line accepted (longer: usage error) */
#define CTL_ARGS_MAX 64	  /* most words in one command */

enum ctl_verb {
	CTL_STATUS,
	CTL_START,
	CTL_STOP,
	CTL_RESTART,
	CTL_RESET,
	CTL_ENABLE,
	CTL_DISABLE,
	CTL_DEPENDENCIES,
	CTL_LOGLEVEL,
	CTL_SHUTDOWN,
	CTL_LOGS,
	CTL_RELOAD,
	CTL_VERB_COUNT
};

/* Options (a verb accepts only those its usage line lists). */
#define CTL_OPT_FORCE	0x01u
#define CTL_OPT_WAIT	0x02u
#define CTL_OPT_ENABLE	0x04u
#define CTL_OPT_DISABLE 0x08u
#define CTL_OPT_JSON	0x10u
#define CTL_OPT_CHECK	0x20u
#define CTL_OPT_FOLLOW	0x40u

struct ctl_command {
	enum ctl_verb verb;
	unsigned options;
	long lines;   /* logs -n N; -1 when not given */
	size_t nargs; /* service or group names, the level, the delay */
	char *args[CTL_ARGS_MAX];
	char storage[CTL_LINE_MAX + 1]; /* the unquoted words, NUL-separated */
};

enum ctl_parse_result {
	CTL_PARSE_OK,
	CTL_PARSE_EMPTY, /* blank line: nothing to do, no reply */
	CTL_PARSE_USAGE, /* unknown verb, option or argument count: COMMAND-ERROR + usage */
	CTL_PARSE_SYNTAX /* unbalanced quotes, too long: EXCEPTION, as chaperone's shlex */
};

/* Parse one command line (len bytes, no NUL needed; a trailing \r\n is ignored). On error,
 * err holds a one-line reason. */
enum ctl_parse_result ctl_command_parse(const char *line, size_t len, struct ctl_command *command,
					char *err, size_t errlen);

/* The commands anyone may run when the socket is opened read-only to the world. */
bool ctl_command_read_only(const struct ctl_command *command);

const char *ctl_verb_name(enum ctl_verb verb);

/* The usage text sent with COMMAND-ERROR (and printed by tendctl --help). */
const char *ctl_usage(void);

/* Split a line into words as Python's shlex.split does. words[] point into storage, which
 * must hold len + 1 bytes. Returns how many words, or -1 with *err set. */
long ctl_split_words(const char *line, size_t len, char **words, size_t max, char *storage,
		     const char **err);

/* Quote one word so that ctl_command_parse reads it back unchanged (shlex.quote). Returns the
 * length written (excluding the NUL), or the length needed when it does not fit. */
size_t ctl_quote_word(const char *word, char *out, size_t size);

#endif
