/* Shared helpers for the SCTP vector dumpers: print a named byte buffer as hex. */
#include <stdio.h>
#include <stddef.h>
#include <string.h>
#include <stdlib.h>

static void dump(const char *layout, const char *name, const void *p, size_t n)
{
	const unsigned char *b = p;
	printf("vector %s %s ", layout, name);
	for (size_t i = 0; i < n; i++)
		printf("%02x", b[i]);
	printf("\n");
}

#define SIZE(layout, type) printf("sizeof %s %s %zu\n", layout, #type, sizeof(struct type))
#define OFF(layout, type, field) \
	printf("offsetof %s %s.%s %zu\n", layout, #type, #field, offsetof(struct type, field))
#define CONST(layout, name) printf("const %s %s %ld\n", layout, #name, (long)(name))
