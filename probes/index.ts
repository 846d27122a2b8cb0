/**
 * The public API a pipeline may use to name its stages and report record
 * counts. Optional: batch-doctor profiles a pipeline without any code change.
 */
export { stage, recordCount } from './stage';
