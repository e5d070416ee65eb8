/*!
 * \file
 * \brief jansson's allocations of one document in one arena.
 *
 * A lainlet document of 10k containers is millions of small jansson
 * allocations, all freed together a moment later; with malloc they cost about
 * a third of an update's CPU, and the freed tree stays in the thread's malloc
 * arena. Between jarena_begin() and jarena_end() on a thread, jansson
 * allocates from big blocks and frees nothing; jarena_end() frees the blocks.
 * Other threads, and this one outside the scope, use malloc and free.
 *
 * Every jansson value made inside a scope must be released inside it.
 */
#pragma once

/*! \brief Installs the allocator into jansson (idempotent; call before threads read). */
void jarena_install(void);

/*! \brief Starts a document's scope on this thread. */
void jarena_begin(void);

/*! \brief Ends the scope and frees everything jansson allocated in it. */
void jarena_end(void);
