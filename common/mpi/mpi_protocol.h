/* mpi_protocol.h: the messages between the zcevo master (rank 0) and its
 * workers (ranks 1..N-1) in a distributed `zcevo evolve`, and between the
 * ranks of a distributed `zcevo stats` / `score` / `proxies` / `search`. Every message is
 * MPI_BYTE on MPI_COMM_WORLD: a fixed header struct followed by a payload;
 * both ends run the same binary, so structs travel in native layout.
 *
 * evolve:
 *   ZC_TAG_ASSIGN  0 -> w  zc_msg_assign, then n_shards x zc_shard: the
 *                          architecture ranges [a0, a1) of evolution tasks
 *                          this worker holds (its "bin"). Sent once, when
 *                          the master has accepted the run folder.
 *   ZC_TAG_READY   w -> 0  zc_msg_ready, then (status != 0) an error text:
 *                          the statistics are loaded (or why not).
 *   ZC_TAG_WORK    0 -> w  zc_msg_work, then n_progs programs, each as its
 *                          uint16 length and `length` code bytes (the flat
 *                          postfix form, common/program/program.h).
 *   ZC_TAG_RESULT  w -> 0  zc_msg_result, then n_values doubles: for each
 *                          shard of the worker's bin in ASSIGN order, for
 *                          each program, for each architecture a0..a1-1,
 *                          the score (NaN = invalid). status != 0: the
 *                          payload is an error text instead.
 *   ZC_TAG_CHECK   0 -> w  as WORK: the quick validity check of the
 *                          programs on the probe architectures (the first
 *                          two of task 0; common/program/quick_check.h),
 *                          sent only to workers whose share starts with
 *                          them.
 *   ZC_TAG_CHECKED w -> 0  zc_msg_result (n_values = n_progs), then one
 *                          byte per program: 1 passes, 0 fails.
 *   ZC_TAG_STOP    0 -> w  empty: finish and exit cleanly (end of run,
 *                          signal, error). Also sent before ASSIGN when the
 *                          master has nothing to do (finished run).
 * stats / score (distributed statistics):
 *   ZC_TAG_RECORD  w -> 0  zc_msg_record, then the serialised statistics of
 *                          one architecture (zc_record_pack,
 *                          common/mpi/mpi_util.h; sent by
 *                          worker/stats_worker.c, received by
 *                          master/dispatch/stats_dispatch.c); index -1 = the
 *                          rank is done, status != 0 = error text.
 * proxies (distributed hand-crafted proxies, worker/proxies_job.h):
 *   ZC_TAG_PX_ASK  w -> 0  zc_msg_px: a worker thread asks for the next
 *                          position; position >= 0 carries ZC_PX_COUNT
 *                          doubles (that architecture's values), status 1
 *                          an error text instead, status 2 says the rank
 *                          is finished (all its threads stopped).
 *   ZC_TAG_PX_GIVE 0 -> w  int32 position to compute, -1: stop.
 * search (distributed `zcevo search`, master/dispatch/search_dispatch.h and
 * worker/search_worker.h; several rounds, one per generation):
 *   ZC_TAG_SR_ASK  w -> 0  zc_msg_search: a worker thread hands in the
 *                          value of table row `row` (row >= 0) and asks for
 *                          the next one; row -1 carries nothing; status 1
 *                          an error text follows, status 2 the rank is
 *                          finished (all its threads stopped).
 *   ZC_TAG_SR_GIVE 0 -> w  int32: a table row to score, -1 stop, -2 none
 *                          now (the round's rows are all handed out): ask
 *                          again shortly.
 *
 * Flow control: the master keeps up to ZC_DISPATCH_INFLIGHT WORK messages
 * outstanding per worker and never blocks on a worker: it polls with
 * MPI_Iprobe and sleeps briefly when idle; workers poll the same way (Open
 * MPI's blocking receives spin a core). A worker that owes a result and has
 * sent nothing for --worker-timeout seconds is lost (exit code 4). */
#ifndef ZC_MPI_PROTOCOL_H
#define ZC_MPI_PROTOCOL_H

#include <stdint.h>

enum {
    ZC_TAG_ASSIGN = 101,
    ZC_TAG_READY = 102,
    ZC_TAG_WORK = 103,
    ZC_TAG_RESULT = 104,
    ZC_TAG_STOP = 105,
    ZC_TAG_RECORD = 106,
    ZC_TAG_CHECK = 107,
    ZC_TAG_CHECKED = 108,
    ZC_TAG_PX_ASK = 109,
    ZC_TAG_PX_GIVE = 110,
    ZC_TAG_SR_ASK = 111,
    ZC_TAG_SR_GIVE = 112
};

#define ZC_SR_STOP (-1) /* ZC_TAG_SR_GIVE: no more rows, stop            */
#define ZC_SR_WAIT (-2) /* ZC_TAG_SR_GIVE: none now, ask again           */

#define ZC_DISPATCH_INFLIGHT 2 /* WORK messages outstanding per worker       */

typedef struct {
    int32_t task; /* evolution task index (config order)                    */
    int32_t a0;   /* first architecture (index among the task's evolution
                     architectures)                                         */
    int32_t a1;   /* one past the last                                      */
} zc_shard;

typedef struct {
    int32_t n_shards;
    int32_t bin;
} zc_msg_assign;

typedef struct {
    int32_t status;      /* 0 ok, else an error text follows               */
    int32_t n_shards;
    int64_t bytes;       /* statistics bytes held                          */
    double seconds;      /* time spent loading / computing them            */
} zc_msg_ready;

typedef struct {
    int64_t job;         /* master's job id, echoed in the result          */
    int32_t n_progs;
    int32_t payload;     /* bytes of program data that follow              */
} zc_msg_work;

typedef struct {
    int64_t job;
    int32_t status;      /* 0 ok, else an error text follows               */
    int32_t n_values;
    double seconds;      /* worker compute time for this job               */
} zc_msg_result;

typedef struct {
    int32_t index;       /* position in the rank's architecture list, -1:
                            done                                           */
    int32_t status;
    int64_t payload;
} zc_msg_record;

typedef struct {
    int32_t position;    /* values of this position follow; -1: none       */
    int32_t status;      /* 0 ok, 1 error text follows, 2 rank finished     */
} zc_msg_px;

typedef struct {
    int32_t row;         /* table row of `value`; -1: none                 */
    int32_t status;      /* 0 ok, 1 error text follows, 2 rank finished     */
    double value;        /* the proxy's value on the row                    */
} zc_msg_search;

#endif
