/*
 * users.h — chaperone's --user, --create-user and --default-home: which user services run as
 * by default, and whose home a relative --config path is resolved against.
 */
#ifndef TEND_USERS_H
#define TEND_USERS_H

struct options;

struct user_setup {
	char *name; /* NULL when neither --user nor --create-user was given */
	char *home;
};

/* Resolves (and for --create-user, creates) the user. -1 after printing why. */
int users_setup(const struct options *options, struct user_setup *user);
void users_free(struct user_setup *user);

#endif
