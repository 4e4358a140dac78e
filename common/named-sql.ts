/**
 * SQL with named parameters (`:campusAccount`), as a campus writes the queries of its own one-card schema in the
 * config (docs/onecard.md), turned into PostgreSQL's positional ones. A `::type` cast and text in single quotes are
 * not parameters.
 */

const PARTS = /'(?:[^']|'')*'|(?<![:\w]):([A-Za-z_]\w*)/g;

/** The parameters a query names, each once, in their first order. */
export function namedParameters(sql: string): string[] {
  return [...new Set([...sql.matchAll(PARTS)].flatMap((m) => (m[1] === undefined ? [] : [m[1]])))];
}

/** The query with `$1`, `$2`… for its parameters, and the names in that order. */
export function positionalSql(sql: string): { text: string; names: string[] } {
  const names = namedParameters(sql);
  const text = sql.replace(PARTS, (whole, name: string | undefined) => (name === undefined ? whole : `$${names.indexOf(name) + 1}`));
  return { text, names };
}
