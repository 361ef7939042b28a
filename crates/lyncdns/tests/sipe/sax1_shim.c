/* LD_PRELOAD shim for the pidgin-sipe interop test (crates/lyncdns/tests/interop_sipe.rs).
 *
 * sipe 1.25 parses XML with a SAX handler marked XML_SAX2_MAGIC that sets only the SAX1 callbacks
 * (startElement/endElement, no startElementNs). Debian 12's patched libxml2 (2.9.14+dfsg-1.3~deb12u5/u6) then
 * runs the SAX2 path and reports no element at all, so every document sipe reads is empty (issue 15). This shim
 * hands such a handler to libxml2 as a plain SAX1 handler, which reports the elements again. It changes nothing
 * for handlers that set the SAX2 callbacks. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <libxml/parser.h>

int xmlSAXUserParseMemory(xmlSAXHandlerPtr sax, void *user_data, const char *buffer, int size)
{
	static int (*real)(xmlSAXHandlerPtr, void *, const char *, int);
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "xmlSAXUserParseMemory");
	if (!real)
		return -1;
	if (sax && sax->initialized == XML_SAX2_MAGIC && !sax->startElementNs && !sax->endElementNs &&
	    (sax->startElement || sax->endElement)) {
		xmlSAXHandler sax1 = *sax;
		sax1.initialized = 1;
		sax1.serror = NULL;
		return real(&sax1, user_data, buffer, size);
	}
	return real(sax, user_data, buffer, size);
}
