export { readMysqlSlowLog, SlowLogParser, lineSplitter, SLOW_LOG_MAX_STATEMENT_CHARS } from './mysql-slow-log';
