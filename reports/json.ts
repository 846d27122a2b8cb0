import type { Renderer } from './types';

/** report.json: the report model as is (schema/report.schema.json). */
export const jsonRenderer: Renderer = {
  name: 'json',
  extension: 'json',
  render: (report) => JSON.stringify(report, null, 2) + '\n',
};
