/*
 * strpool.c - string interning with an open-addressing hash table.
 *
 * Strings live in an arena; an array maps id -> (pointer, length, hash) and a
 * power-of-two table of ids, probed linearly, maps bytes -> id.  The table is
 * kept at most half full, so a lookup touches one or two slots on average.
 * Storing the full hash per id makes rehashing free of string reads and lets
 * a probe reject most mismatches without a memcmp.
 */
#include <string.h>

#include "deeplock/strpool.h"

struct entry {
	const char *str;
	size_t len;
	uint64_t hash;
};

struct dl_strpool {
	dl_arena *arena;
	struct entry *entries; /* index = id; entries[0] unused */
	size_t count;          /* strings interned */
	size_t cap;            /* capacity of entries */
	dl_strid *table;       /* 0 = empty slot */
	size_t mask;           /* table size - 1 */
};

uint64_t dl_hash_bytes(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	/* splitmix64 finaliser: spreads FNV's weak low bits over the word */
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
}

int dl_strpool_new(dl_strpool **out)
{
	dl_strpool *p = dl_calloc(1, sizeof(*p));
	if (p == NULL)
		return dl_error_oom();
	int rc = dl_arena_new(&p->arena);
	if (rc < 0)
		goto fail;
	p->cap = 64;
	p->entries = dl_calloc(p->cap, sizeof(*p->entries));
	p->table = dl_calloc(128, sizeof(*p->table));
	if (p->entries == NULL || p->table == NULL) {
		rc = dl_error_oom();
		goto fail;
	}
	p->mask = 127;
	*out = p;
	return 0;
fail:
	dl_strpool_free(p);
	return rc;
}

void dl_strpool_free(dl_strpool *pool)
{
	if (pool == NULL)
		return;
	dl_arena_free(pool->arena);
	dl_free(pool->entries);
	dl_free(pool->table);
	dl_free(pool);
}

static dl_strid probe(const dl_strpool *pool, const char *s, size_t len, uint64_t h, size_t *slot_out)
{
	size_t i = (size_t)h & pool->mask;
	for (;;) {
		dl_strid id = pool->table[i];
		if (id == 0) {
			*slot_out = i;
			return 0;
		}
		const struct entry *e = &pool->entries[id];
		if (e->hash == h && e->len == len && memcmp(e->str, s, len) == 0) {
			*slot_out = i;
			return id;
		}
		i = (i + 1) & pool->mask;
	}
}

static int grow_table(dl_strpool *pool)
{
	size_t size = (pool->mask + 1) * 2;
	dl_strid *t = dl_calloc(size, sizeof(*t));
	if (t == NULL)
		return dl_error_oom();
	for (size_t id = 1; id <= pool->count; id++) {
		size_t i = (size_t)pool->entries[id].hash & (size - 1);
		while (t[i] != 0)
			i = (i + 1) & (size - 1);
		t[i] = (dl_strid)id;
	}
	dl_free(pool->table);
	pool->table = t;
	pool->mask = size - 1;
	return 0;
}

int dl_strpool_intern(dl_strpool *pool, const char *s, size_t len, dl_strid *out)
{
	uint64_t h = dl_hash_bytes(s, len);
	size_t slot;
	dl_strid id = probe(pool, s, len, h, &slot);
	if (id != 0) {
		*out = id;
		return 0;
	}
	if (pool->count >= (size_t)INT32_MAX - 1)
		return dl_error_set(DL_ELIMIT, "string pool is full (%zu strings)", pool->count);
	if (pool->count + 1 >= pool->cap) {
		void *e = pool->entries;
		int rc = dl_realloc_array(&e, pool->cap * 2, sizeof(*pool->entries));
		if (rc < 0)
			return rc;
		pool->entries = e;
		pool->cap *= 2;
	}
	char *copy = dl_arena_strndup(pool->arena, s, len);
	if (copy == NULL)
		return dl_error_oom();
	if ((pool->count + 1) * 2 > pool->mask + 1) {
		int rc = grow_table(pool);
		if (rc < 0)
			return rc;
		probe(pool, s, len, h, &slot);
	}
	id = (dl_strid)(pool->count + 1);
	pool->entries[id].str = copy;
	pool->entries[id].len = len;
	pool->entries[id].hash = h;
	pool->table[slot] = id;
	pool->count++;
	*out = id;
	return 0;
}

dl_strid dl_strpool_find(const dl_strpool *pool, const char *s, size_t len)
{
	size_t slot;
	return probe(pool, s, len, dl_hash_bytes(s, len), &slot);
}

const char *dl_strpool_str(const dl_strpool *pool, dl_strid id)
{
	if (id == 0 || id > pool->count)
		return NULL;
	return pool->entries[id].str;
}

size_t dl_strpool_len(const dl_strpool *pool, dl_strid id)
{
	if (id == 0 || id > pool->count)
		return 0;
	return pool->entries[id].len;
}

size_t dl_strpool_count(const dl_strpool *pool)
{
	return pool->count;
}
