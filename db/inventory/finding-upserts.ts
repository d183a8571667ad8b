import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type Executor } from '../client.js';

/*
 * Scanner ingest as one statement per request (issue 17), whatever its size (up to 10,000 rows): the rows travel
 * column by column as typed arrays and `unnest(...)` zips them back into a relation, so Postgres parses a few flat
 * array parameters instead of a JSON document per row, and a single INSERT … ON CONFLICT writes them all. The
 * statement triggers (risk counts) and the index maintenance of a request then run once, not once per chunk. Rows
 * go in in natural-key order, so consecutive index insertions land on the same leaf pages, and take their new ids in
 * ascending order along it (byKey).
 */

export interface IngestCounts {
  created: number;
  updated: number;
  /**
   * Rows left out because the asset they name is not one of the account's: the statement of a kind whose asset is
   * optional (alerts, attacks) checks each row's asset itself (no separate look-up of a batch's asset ids first), and
   * the caller refuses a batch with any. A kind whose asset is required (vulnerabilities, baseline risks) leaves
   * that to its foreign key on (account_id, asset_id), which fails the statement instead (`ASSET_OF_ACCOUNT_KEYS`).
   */
  foreignAssetRows: number;
}

/** One column of a batch: its values and the Postgres array type they travel as. */
type Column = [values: unknown[], type: 'uuid' | 'text' | 'boolean' | 'timestamptz'];

/** `unnest($1::uuid[], $2::text[], …) as x(a, b, …)`: the batch as a relation with the given column names. */
function unnestOf(columns: Record<string, Column>): SQL {
  const names = Object.keys(columns);
  const arrays = Object.values(columns).map(
    ([values, type]) =>
      sql`${type === 'timestamptz' ? timestampArray(values) : arrayParameter(values)}::${sql.raw(type)}[]`,
  );
  return sql`unnest(${sql.join(arrays, sql`, `)}) as x(${sql.raw(names.join(', '))})`;
}

/** A JSON escape other than `\"` and `\\` (a control character's, a lone surrogate's): Postgres reads `\n` as `n`. */
const OTHER_JSON_ESCAPE = /\\[^"\\]/;

/**
 * A JavaScript array of strings, booleans and nulls as one Postgres array literal parameter (`{"a",true,null}`):
 * both drivers send it as text that the cast beside it parses, and it never turns into one bind parameter per
 * element. A request is ~150,000 elements, so a column is written by JSON.stringify, whose text is the array
 * literal's but for the brackets (strings quoted with `"` and `\` escaped by a backslash, unquoted `null`, `true`
 * and `false`), unless it escaped anything else; then element by element.
 */
function arrayParameter(values: unknown[]): string {
  const json = JSON.stringify(values);
  if (!OTHER_JSON_ESCAPE.test(json)) return `{${json.slice(1, -1)}}`;
  const parts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) parts[i] = arrayElement(values[i]);
  return `{${parts.join(',')}}`;
}

function arrayElement(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'boolean') return v ? 't' : 'f';
  const s = String(v);
  return s.includes('"') || s.includes('\\') ? `"${s.replace(/[\\"]/g, '\\$&')}"` : `"${s}"`;
}

/** A timestamptz[] literal; a column's shared timestamp (the request's `now`) is formatted once. */
function timestampArray(values: unknown[]): string {
  const parts = new Array<string>(values.length);
  let lastDate: Date | null = null;
  let lastIso = '';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v instanceof Date) {
      if (v !== lastDate) [lastDate, lastIso] = [v, `"${v.toISOString()}"`];
      parts[i] = lastIso;
    } else parts[i] = arrayElement(v);
  }
  return `{${parts.join(',')}}`;
}

/** Elements an array literal may hold unquoted: no delimiter, quote, backslash, space or brace, and not NULL. */
const BARE_ELEMENT = /^[A-Za-z0-9_.:-]+$/;

/**
 * A row's text array (CVE ids) as one element of a text[] column: an array literal that `::text[]` reads back.
 * Elements such as `CVE-2024-6387` go bare, so the literal holds no quote for the column's literal to escape.
 */
export const textArrayLiteral = (values: string[]): string =>
  values.every((v) => BARE_ELEMENT.test(v) && v.toUpperCase() !== 'NULL')
    ? `{${values.join(',')}}`
    : arrayParameter(values);

/**
 * The foreign keys that refuse a finding whose asset is not its account's (migration 0031): a vulnerability's or
 * baseline risk's one probe of its asset, made by the database on every write, is also the ingest's check of it.
 */
export const ASSET_OF_ACCOUNT_KEYS: ReadonlySet<string> = new Set([
  'vulnerabilities_account_asset_fk',
  'baseline_risks_account_asset_fk',
]);

/**
 * What an ingest statement of a kind whose asset is optional (alerts, attacks) writes: rows (`x`) that name no asset
 * or one of the account's (their foreign key, on asset_id alone, sets it null when the asset goes). One index probe
 * per row, inside the statement: `offset 0` keeps the planner from turning the test into a hash semi-join, which
 * reads and hashes every asset of the account (100,000 at fleet scale) for a batch of 10,000 rows.
 */
const accountAssetOrNone = (accountId: string) =>
  sql`(x.asset_id is null or exists (select 1 from assets a
    where a.account_id = ${accountId}::uuid and a.id = x.asset_id offset 0))`;

const counted = (upserted: SQL) => sql`with upserted as (${upserted})
  select (count(*) filter (where inserted))::int as created, (count(*) filter (where not inserted))::int as updated
  from upserted`;

/**
 * Counts of an `INSERT … ON CONFLICT DO UPDATE` of `rows` rows that returns `inserted` per row: every row it
 * writes is either created or updated, so the rows it did not return are those its asset filter left out.
 */
async function counts(db: Executor, statement: SQL, rows: number): Promise<IngestCounts> {
  const [row] = await queryRows<{ created: number; updated: number }>(db, counted(statement));
  const created = Number(row?.created ?? 0);
  const updated = Number(row?.updated ?? 0);
  return { created, updated, foreignAssetRows: rows - created - updated };
}

const NONE: Readonly<IngestCounts> = Object.freeze({ created: 0, updated: 0, foreignAssetRows: 0 });

export interface VulnerabilityRow {
  id: string;
  assetId: string;
  type: string;
  name: string;
  title: string;
  cveIds: string[];
  severity: string;
  fixable: boolean;
  packageName: string | null;
  installedVersion: string | null;
  fixedVersion: string | null;
  kbId: string | null;
  cmsComponent: string | null;
  status: 'open' | 'fixed';
  seen: Date;
}

/**
 * The batch in natural-key order, one row per key (a key repeated in a request: its last row wins, as Postgres
 * refuses to update one row twice in a statement), and the rows' ids in ascending order along it: every index that
 * ends in the id (the primary key, the list-page indexes) then takes a request's rows as appends at its right edge,
 * in order, instead of 10,000 insertions scattered over its last pages (uuidv7 is random within a millisecond).
 * The keys are unique, so a plain `sort()` orders them (code unit order, no comparator called per pair).
 */
function byKey<T extends { id: string }>(input: T[], key: (r: T) => string): { rows: T[]; ids: string[] } {
  const last = new Map<string, T>();
  for (const r of input) last.set(key(r), r);
  const rows: T[] = [];
  for (const k of [...last.keys()].sort()) {
    const r = last.get(k);
    if (r) rows.push(r);
  }
  return { rows, ids: rows.map((r) => r.id).sort() };
}

/**
 * Upserts vulnerabilities by (account, asset, type, name): a fixed one seen again opens again, ignored stays ignored.
 * A natural key repeated in `input`: its last row is written.
 */
export function upsertVulnerabilities(
  db: Executor,
  accountId: string,
  input: VulnerabilityRow[],
): Promise<IngestCounts> {
  if (input.length === 0) return Promise.resolve(NONE);
  const { rows, ids } = byKey(input, (v) => `${v.assetId}\u0000${v.type}\u0000${v.name}`);
  const col = <T>(f: (r: VulnerabilityRow) => T) => rows.map(f);
  const relation = unnestOf({
    id: [ids, 'uuid'],
    asset_id: [col((r) => r.assetId), 'uuid'],
    type: [col((r) => r.type), 'text'],
    name: [col((r) => r.name), 'text'],
    title: [col((r) => r.title), 'text'],
    cve_ids: [col((r) => textArrayLiteral(r.cveIds)), 'text'],
    severity: [col((r) => r.severity), 'text'],
    fixable: [col((r) => r.fixable), 'boolean'],
    package_name: [col((r) => r.packageName), 'text'],
    installed_version: [col((r) => r.installedVersion), 'text'],
    fixed_version: [col((r) => r.fixedVersion), 'text'],
    kb_id: [col((r) => r.kbId), 'text'],
    cms_component: [col((r) => r.cmsComponent), 'text'],
    status: [col((r) => r.status), 'text'],
    seen: [col((r) => r.seen), 'timestamptz'],
  });
  return counts(
    db,
    sql`insert into vulnerabilities as v (id, account_id, asset_id, type, name, title, cve_ids, severity, fixable,
        package_name, installed_version, fixed_version, kb_id, cms_component, status, first_seen_at, last_seen_at,
        latest_scan_at, fixed_at)
      select id, ${accountId}::uuid, asset_id, type, name, title, cve_ids::text[], severity, fixable, package_name,
        installed_version, fixed_version, kb_id, cms_component, status, seen, seen, seen,
        case when status = 'fixed' then seen end
      from ${relation}
      on conflict (account_id, asset_id, type, name) do update set
        title = excluded.title,
        cve_ids = excluded.cve_ids,
        severity = excluded.severity,
        package_name = excluded.package_name,
        installed_version = excluded.installed_version,
        fixed_version = excluded.fixed_version,
        last_seen_at = greatest(v.last_seen_at, excluded.last_seen_at),
        latest_scan_at = greatest(v.latest_scan_at, excluded.latest_scan_at),
        fixable = excluded.fixable,
        kb_id = excluded.kb_id,
        cms_component = excluded.cms_component,
        status = case when v.status = 'ignored' then 'ignored'
                      when excluded.status = 'fixed' then 'fixed'
                      when v.status = 'fixed' then 'open'
                      else v.status end,
        fixed_at = case when excluded.status = 'fixed' then coalesce(v.fixed_at, excluded.fixed_at) else null end,
        updated_at = now()
      returning (xmax = 0) as inserted`,
    rows.length,
  );
}

export interface AlertRow {
  id: string;
  assetId: string | null;
  externalId: string;
  name: string;
  type: string;
  severity: string;
  status: string;
  occurredAt: Date;
  handledAt: Date | null;
}

/** Upserts alerts by (account, external id); an external id repeated in `input`: its last row is written. */
export function upsertAlerts(db: Executor, accountId: string, input: AlertRow[]): Promise<IngestCounts> {
  if (input.length === 0) return Promise.resolve(NONE);
  const { rows, ids } = byKey(input, (a) => a.externalId);
  const col = <T>(f: (r: AlertRow) => T) => rows.map(f);
  const relation = unnestOf({
    id: [ids, 'uuid'],
    asset_id: [col((r) => r.assetId), 'uuid'],
    external_id: [col((r) => r.externalId), 'text'],
    name: [col((r) => r.name), 'text'],
    type: [col((r) => r.type), 'text'],
    severity: [col((r) => r.severity), 'text'],
    status: [col((r) => r.status), 'text'],
    occurred_at: [col((r) => r.occurredAt), 'timestamptz'],
    handled_at: [col((r) => r.handledAt), 'timestamptz'],
  });
  return counts(
    db,
    sql`insert into alerts (id, account_id, asset_id, external_id, name, type, severity, status, occurred_at,
        handled_at)
      select id, ${accountId}::uuid, asset_id, external_id, name, type, severity, status, occurred_at, handled_at
      from ${relation}
      where ${accountAssetOrNone(accountId)}
      on conflict (account_id, external_id) do update set
        name = excluded.name,
        type = excluded.type,
        severity = excluded.severity,
        status = excluded.status,
        handled_at = excluded.handled_at,
        updated_at = now()
      returning (xmax = 0) as inserted`,
    rows.length,
  );
}

export interface BaselineRiskRow {
  id: string;
  assetId: string;
  checkName: string;
  category: string;
  severity: string;
  status: string;
}

/** Upserts baseline risks by (account, asset, check); a repeated (asset, check): its last row is written. */
export function upsertBaselineRisks(
  db: Executor,
  accountId: string,
  input: BaselineRiskRow[],
): Promise<IngestCounts> {
  if (input.length === 0) return Promise.resolve(NONE);
  const { rows, ids } = byKey(input, (b) => `${b.assetId}\u0000${b.checkName}`);
  const col = <T>(f: (r: BaselineRiskRow) => T) => rows.map(f);
  const relation = unnestOf({
    id: [ids, 'uuid'],
    asset_id: [col((r) => r.assetId), 'uuid'],
    check_name: [col((r) => r.checkName), 'text'],
    category: [col((r) => r.category), 'text'],
    severity: [col((r) => r.severity), 'text'],
    status: [col((r) => r.status), 'text'],
  });
  return counts(
    db,
    sql`insert into baseline_risks (id, account_id, asset_id, check_name, category, severity, status)
      select id, ${accountId}::uuid, asset_id, check_name, category, severity, status
      from ${relation}
      on conflict (account_id, asset_id, check_name) do update set
        category = excluded.category,
        severity = excluded.severity,
        status = excluded.status,
        last_seen_at = now(),
        updated_at = now()
      returning (xmax = 0) as inserted`,
    rows.length,
  );
}

export interface AttackRow {
  id: string;
  assetId: string | null;
  externalId: string;
  attackType: string;
  sourceIp: string | null;
  severity: string;
  blocked: boolean;
  occurredAt: Date;
}

/**
 * Inserts attack events once by (account, external id; repeated in `input`, its last row): a known one is left as
 * it is and not counted. `DO NOTHING` returns no row for a known event, so the rows the asset filter left out are
 * counted apart.
 */
export async function insertAttacks(
  db: Executor,
  accountId: string,
  input: AttackRow[],
): Promise<IngestCounts> {
  if (input.length === 0) return NONE;
  const { rows, ids } = byKey(input, (a) => a.externalId);
  const col = <T>(f: (r: AttackRow) => T) => rows.map(f);
  const relation = unnestOf({
    id: [ids, 'uuid'],
    asset_id: [col((r) => r.assetId), 'uuid'],
    external_id: [col((r) => r.externalId), 'text'],
    attack_type: [col((r) => r.attackType), 'text'],
    source_ip: [col((r) => r.sourceIp), 'text'],
    severity: [col((r) => r.severity), 'text'],
    blocked: [col((r) => r.blocked), 'boolean'],
    occurred_at: [col((r) => r.occurredAt), 'timestamptz'],
  });
  const batch = sql`select *, ${accountAssetOrNone(accountId)} as own from ${relation}`;
  const [row] = await queryRows<{ created: number; foreign: number }>(
    db,
    sql`with x as (${batch}), inserted as (
      insert into attack_events (id, account_id, asset_id, external_id, attack_type, source_ip, severity, blocked,
        occurred_at)
      select id, ${accountId}::uuid, asset_id, external_id, attack_type, source_ip, severity, blocked, occurred_at
      from x where own
      on conflict (account_id, external_id) do nothing
      returning 1)
    select (select count(*) from inserted)::int as created, (select count(*) from x where not own)::int as foreign`,
  );
  return { created: Number(row?.created ?? 0), updated: 0, foreignAssetRows: Number(row?.foreign ?? 0) };
}
