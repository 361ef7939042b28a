/* A headless libpurple client for the pidgin-sipe interop test (crates/lyncdns/tests/interop_sipe.rs): signs in
 * one sipe account with an empty server (so sipe runs Lync Autodiscover), with libpurple's debug log on standard
 * output, and quits two seconds after sipe logs the text in DRIVER_UNTIL (default: the end of Autodiscover, its
 * server list), or after SECONDS at most. Usage: driver USER PASSWORD SECONDS [AUTH]
 * (AUTH: sipe's "authentication" option: "ntlm", sipe's default when unset, uses HTTP NTLM; "auto" uses HTTP
 * Negotiate, Kerberos first, falling back to NTLM). */
#include <glib.h>
#include <purple.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READ_COND (G_IO_IN | G_IO_HUP | G_IO_ERR)
#define WRITE_COND (G_IO_OUT | G_IO_HUP | G_IO_ERR | G_IO_NVAL)

typedef struct {
	PurpleInputFunction function;
	gpointer data;
} Watch;

static gboolean on_io(GIOChannel *ch, GIOCondition cond, gpointer data)
{
	Watch *w = data;
	int pc = 0;
	if (cond & READ_COND)
		pc |= PURPLE_INPUT_READ;
	if (cond & WRITE_COND)
		pc |= PURPLE_INPUT_WRITE;
	w->function(w->data, g_io_channel_unix_get_fd(ch), pc);
	return TRUE;
}

static guint input_add(gint fd, PurpleInputCondition cond, PurpleInputFunction f, gpointer data)
{
	Watch *w = g_new0(Watch, 1);
	GIOCondition gc = 0;
	GIOChannel *ch;
	guint id;
	w->function = f;
	w->data = data;
	if (cond & PURPLE_INPUT_READ)
		gc |= READ_COND;
	if (cond & PURPLE_INPUT_WRITE)
		gc |= WRITE_COND;
	ch = g_io_channel_unix_new(fd);
	id = g_io_add_watch_full(ch, G_PRIORITY_DEFAULT, gc, on_io, w, g_free);
	g_io_channel_unref(ch);
	return id;
}

static PurpleEventLoopUiOps loop_ops = {
	g_timeout_add, g_source_remove, input_add, g_source_remove, NULL, g_timeout_add_seconds, NULL, NULL, NULL,
};

static gboolean quit(gpointer loop)
{
	g_main_loop_quit(loop);
	return FALSE;
}

static GMainLoop *main_loop;

/* What ends the run (two seconds after sipe logs it): DRIVER_UNTIL, else the end of Autodiscover. */
static const char *until;

/* libpurple prints every debug line itself (debug enabled); this only watches for the line that ends the run. */
static void on_debug(PurpleDebugLevel level, const char *category, const char *text)
{
	static gboolean seen;
	(void)level;
	(void)category;
	if (!seen && text && strstr(text, until)) {
		seen = TRUE;
		g_timeout_add_seconds(2, quit, main_loop);
	}
}

static PurpleDebugUiOps debug_ops = { on_debug, NULL, NULL, NULL, NULL, NULL };

int main(int argc, char **argv)
{
	GMainLoop *loop;
	PurpleAccount *account;
	const char *dir = g_getenv("PURPLE_TEST_DIR");
	if (argc < 4 || !dir) {
		fprintf(stderr, "usage: PURPLE_TEST_DIR=DIR driver USER PASSWORD SECONDS [AUTH]\n");
		return 2;
	}
	until = g_getenv("DRIVER_UNTIL");
	if (!until || !*until)
		until = "lync_autodiscover_cb: got server list";
	setvbuf(stdout, NULL, _IOLBF, 0);
	loop = main_loop = g_main_loop_new(NULL, FALSE);
	purple_util_set_user_dir(dir);
	purple_debug_set_enabled(TRUE);
	purple_debug_set_ui_ops(&debug_ops);
	purple_eventloop_set_ui_ops(&loop_ops);
	if (!purple_core_init("lyncdns-sipe-test")) {
		fprintf(stderr, "libpurple did not start\n");
		return 2;
	}
	purple_set_blist(purple_blist_new());
	if (!purple_find_prpl("prpl-sipe")) {
		fprintf(stderr, "the sipe plugin is not installed\n");
		return 3;
	}
	account = purple_account_new(argv[1], "prpl-sipe");
	purple_account_set_password(account, argv[2]);
	purple_account_set_string(account, "server", "");
	if (argc > 4)
		purple_account_set_string(account, "authentication", argv[4]);
	purple_accounts_add(account);
	purple_account_set_enabled(account, "lyncdns-sipe-test", TRUE);
	g_timeout_add_seconds(atoi(argv[3]), quit, loop);
	g_main_loop_run(loop);
	return 0;
}
