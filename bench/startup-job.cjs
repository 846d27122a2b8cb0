// The job of bench/startup.mjs: loads the three instrumented client libraries and says when.
const main = performance.now();
require('pg');
require('mysql2/promise');
require('basic-ftp');
process.stdout.write(JSON.stringify({ main, loaded: performance.now() }));
