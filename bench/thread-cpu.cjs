// Preload of bench/thread-cpu-ab.mjs: at exit, appends one JSON line to $THREAD_CPU_OUT with the main thread's CPU
// time (user and system), the time it waited for a CPU (run delay), its context switches, and the whole process's
// CPU time (every thread: V8's compiler and GC helpers, libuv's pool), all in ms, from /proc (Linux only).
'use strict';
const fs = require('node:fs');

process.on('exit', () => {
  try {
    const task = `/proc/self/task/${process.pid}`;
    const [cpuNs, delayNs] = fs.readFileSync(`${task}/schedstat`, 'utf8').trim().split(' ').map(Number);
    const tick = 10; // ms per clock tick (USER_HZ 100 on Linux)
    const t = fs.readFileSync(`${task}/stat`, 'utf8').split(') ')[1].split(' ');
    const status = fs.readFileSync(`${task}/status`, 'utf8');
    const p = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    fs.appendFileSync(process.env.THREAD_CPU_OUT, JSON.stringify({
      arm: process.env.THREAD_CPU_ARM,
      run: Number(process.env.THREAD_CPU_RUN),
      wall: process.uptime() * 1000,
      mainCpu: cpuNs / 1e6,
      mainUser: Number(t[11]) * tick,
      mainSystem: Number(t[12]) * tick,
      runDelay: delayNs / 1e6,
      voluntary: Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)[1]),
      involuntary: Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(status)[1]),
      processCpu: (Number(p[11]) + Number(p[12])) * tick,
    }) + '\n');
  } catch { /* not Linux, or /proc unreadable: no line */ }
});
