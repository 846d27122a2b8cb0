// A job of bench/startup.mjs (--job orm) that loads two ORMs and a client: knex, sequelize (hundreds of files, none of
// them a client) and pg; says when.
const main = performance.now();
require('knex');
require('sequelize');
require('pg');
process.stdout.write(JSON.stringify({ main, loaded: performance.now() }));
