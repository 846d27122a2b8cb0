export { readMysqlSlowLog, SlowLogParser, forEachLine, SLOW_LOG_MAX_STATEMENT_CHARS } from './mysql-slow-log';
export { readPostgresLog, PostgresStderrLogParser, sampleFromMessage } from './postgresql-log';
export { readPgStatStatements, readPerformanceSchemaDigests } from './server-digests';
