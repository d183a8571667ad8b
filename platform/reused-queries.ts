/**
 * Built queries kept per database (or transaction) and shape. Building a Drizzle query — walking its SQL chunks,
 * escaping names, ordering the selected fields — cost about a tenth of a list request's CPU, every request, for
 * statements whose text never changes. A query built once with `sql.placeholder(…)` for its values and `.prepare()`d
 * is executed with the values of each call; postgres.js also keeps the statement prepared per connection by its text.
 * `shape` must name everything that changes the statement's text (which filters are present, a cursor or none).
 */
const built = new WeakMap<object, Map<string, unknown>>();

export function reusedQuery<Q>(db: object, shape: string, build: () => Q): Q {
  let byShape = built.get(db);
  if (!byShape) {
    byShape = new Map();
    built.set(db, byShape);
  }
  let query = byShape.get(shape) as Q | undefined;
  if (query === undefined) {
    query = build();
    byShape.set(shape, query);
  }
  return query;
}
