/*!
 * \file
 * \brief Publish/lookup stress: reader threads look names up through RCU while a
 *        writer builds and publishes tables continuously, as knotd's workers and
 *        the module's thread do. Built with ThreadSanitizer and AddressSanitizer.
 *
 * Every table holds "gen.test" TXT = its generation and 200 names; a reader
 * checks that each lookup finds its names and that generations never go back.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <urcu.h>

#include "table.h"
#include "../unit/tap.h"

/*
 * ThreadSanitizer cannot see liburcu's ordering (membarrier, per-thread
 * counters, dependency-ordered loads): tell it what RCU guarantees, that a
 * published pointer carries the writes before it (release/consume) and that
 * every read-side section ended before synchronize_rcu() returns. Then it
 * checks the table code itself.
 */
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RCU_MODEL_FOR_TSAN 1
#endif
#endif
#ifdef RCU_MODEL_FOR_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
static char grace;
#define READ_UNLOCK() do { __tsan_release(&grace); rcu_read_unlock(); } while (0)
#define GRACE_PERIOD() do { synchronize_rcu(); __tsan_acquire(&grace); } while (0)
#define PUBLISHED() __tsan_release(&current)
#define DEREFERENCED() __tsan_acquire(&current)
#else
#define READ_UNLOCK() rcu_read_unlock()
#define GRACE_PERIOD() synchronize_rcu()
#define PUBLISHED()
#define DEREFERENCED()
#endif

#define READERS 4
#define PUBLISHES 300

static table_t *current;
static atomic_bool stop;
static atomic_long lookups, wrong;

static table_t *make_table(uint32_t gen)
{
	rr_list_t list;
	rr_list_init(&list);
	static const uint8_t soa[] = "\x02ns\x00\x02hm\x00" "\0\0\0\0" "\0\0\0\1" "\0\0\0\1"
	                             "\0\0\0\1" "\0\0\0\1";
	rr_list_add(&list, (const uint8_t *)"\x04test", KNOT_RRTYPE_SOA, 60, soa, sizeof(soa) - 1);
	rr_list_add(&list, (const uint8_t *)"\x04test", KNOT_RRTYPE_NS, 60,
	            (const uint8_t *)"\x02ns\x04test", 9);
	uint8_t gen_rd[5] = { 4 };
	memcpy(gen_rd + 1, &gen, 4);
	rr_list_add(&list, (const uint8_t *)"\x03gen\x04test", KNOT_RRTYPE_TXT, 60, gen_rd, 5);
	for (int i = 0; i < 200; i++) {
		uint8_t name[KNOT_DNAME_MAXLEN];
		char text[32];
		snprintf(text, sizeof(text), "n%d.test", i);
		knot_dname_from_str(name, text, sizeof(name));
		uint8_t ip[4] = { 10, gen & 0xff, i, 1 };
		rr_list_add(&list, name, KNOT_RRTYPE_A, 60, ip, 4);
	}
	table_t *t = table_build(&list, gen);
	rr_list_clear(&list);
	return t;
}

static void *reader(void *arg)
{
	rcu_register_thread();
	table_client_t client = { 0 };
	uint32_t last = 0;
	unsigned seed = (unsigned)(uintptr_t)arg;
	while (!atomic_load(&stop)) {
		rcu_read_lock();
		const table_t *t = rcu_dereference(current);
		DEREFERENCED();
		table_result_t res;
		table_lookup(t, (const uint8_t *)"\x03gen\x04test", &client, &res);
		uint32_t pos = 0, gen = 0;
		const table_rrset_t *set = table_rrset_next(t, res.node, KNOT_RRTYPE_TXT, &client,
		                                                &pos);
		memcpy(&gen, table_rdataset(t, set).rdata->data + 1, 4);
		char text[32];
		uint8_t name[KNOT_DNAME_MAXLEN];
		snprintf(text, sizeof(text), "n%d.test", rand_r(&seed) % 200);
		knot_dname_from_str(name, text, sizeof(name));
		table_lookup(t, name, &client, &res);
		if (res.status != TABLE_FOUND || gen < last) {
			atomic_fetch_add(&wrong, 1);
		}
		last = gen;
		READ_UNLOCK();
		atomic_fetch_add(&lookups, 1);
	}
	rcu_unregister_thread();
	return NULL;
}

int main(void)
{
	rcu_register_thread();
	current = make_table(1);
	pthread_t threads[READERS];
	for (long i = 0; i < READERS; i++) {
		pthread_create(&threads[i], NULL, reader, (void *)(i + 1));
	}
	for (uint32_t gen = 2; gen <= PUBLISHES; gen++) {
		table_t *next = make_table(gen);
		PUBLISHED();
		table_t *old = rcu_xchg_pointer(&current, next);
		GRACE_PERIOD();
		table_free(old);
	}
	atomic_store(&stop, true);
	for (int i = 0; i < READERS; i++) {
		pthread_join(threads[i], NULL);
	}
	table_free(current);
	rcu_unregister_thread();
	ok(atomic_load(&wrong) == 0, "%ld lookups during %d publishes, %ld wrong",
	   atomic_load(&lookups), PUBLISHES, atomic_load(&wrong));
	return done_testing();
}
