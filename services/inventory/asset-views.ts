import { and, eq, getTableColumns, gt, inArray, or, sql, type Placeholder, type SQL } from 'drizzle-orm';
import { reusedQuery } from '../../platform/reused-queries.js';
import { plannedOnce, type Executor } from '../../db/client.js';
import { assetGroupMembers, assets } from '../../db/schema/inventory.js';
import type { OsFamily } from '../../domain/findings.js';
import { FUZZY_SIMILARITY, likePattern } from '../../domain/inventory.js';
import { assetSearchSample } from './asset-search-sample.js';

export interface AssetFilter {
  accountId: string;
  search?: string;
  groupId?: string;
  os?: OsFamily;
  agentStatus?: 'online' | 'offline' | 'none';
  ids?: string[];
}

/**
 * A search string as its statements use it: as typed, lowered, and as an ILIKE pattern (or placeholders for them);
 * and for each trigram index, the pattern of the substring it is asked for (`TrigramSample.pick`).
 */
interface SearchTerms {
  search: string | Placeholder;
  lowered: string | Placeholder;
  pattern: string | Placeholder;
  indexed: { name: string | Placeholder; hostname: string | Placeholder; ip: string | Placeholder };
}

async function searchTerms(db: Executor, search: string, match: 'contains' | 'fuzzy') {
  const pattern = likePattern(search);
  const terms = { search, lowered: search.toLowerCase(), pattern };
  if (match === 'fuzzy') return terms;
  const sample = await assetSearchSample(db);
  return {
    ...terms,
    namePattern: likePattern(sample.name.pick(search)),
    hostnamePattern: likePattern(sample.hostname.pick(search)),
    ipPattern: likePattern(sample.ip.pick(search)),
  };
}

/** Name, hostname or IP matches the ILIKE pattern; each branch uses its trigram GIN index. */
function containsPattern(pattern: string | Placeholder): SQL {
  return sql`(${assets.name} ILIKE ${pattern} OR ${assets.hostname} ILIKE ${pattern} OR ${assets.ipText} ILIKE ${pattern})`;
}

/**
 * Name, hostname or IP contains the search: each index asked for its own substring of the search (a necessary
 * condition, answered by a bitmap scan of the few rows holding its selective trigrams), and the whole search tested
 * on those candidates, never as an index condition (`IS TRUE`), so that the index does not look up the search's
 * fleet-wide trigrams once per candidate again.
 */
function containsIndexed({ pattern, indexed }: SearchTerms): SQL {
  return sql`(${assets.name} ILIKE ${indexed.name} OR ${assets.hostname} ILIKE ${indexed.hostname} OR ${assets.ipText} ILIKE ${indexed.ip}) AND (${containsPattern(pattern)}) IS TRUE`;
}

/** Name, hostname or IP contains the search string (taken literally); each branch uses its trigram GIN index. */
export function containsSearch(search: string): SQL {
  return containsPattern(likePattern(search));
}

/** A name that resembles the search (`%` finds candidates through the name's trigram index; Vigil's threshold). */
function fuzzyName(search: string | Placeholder): SQL {
  return sql`(${assets.name} % ${search} AND similarity(${assets.name}, ${search}) > ${FUZZY_SIMILARITY})`;
}

/** A filter's values, or placeholders for them in a statement built once (`plainPage`). */
type BoundFilter = {
  [K in keyof Omit<AssetFilter, 'search' | 'ids'>]: AssetFilter[K] | Placeholder;
} & Pick<AssetFilter, 'ids'>;

/** The WHERE clause of an asset query apart from the search: account, group, OS, agent status, ids. */
function filterConditions(f: BoundFilter): SQL[] {
  const conds: SQL[] = [eq(assets.accountId, f.accountId)];
  if (f.groupId) {
    conds.push(
      sql`exists (select 1 from ${assetGroupMembers} where ${assetGroupMembers.assetId} = ${assets.id} and ${assetGroupMembers.groupId} = ${f.groupId})`,
    );
  }
  if (f.os) conds.push(eq(assets.osFamily, f.os));
  if (f.agentStatus) conds.push(eq(assets.agentStatus, f.agentStatus));
  if (f.ids) conds.push(inArray(assets.id, f.ids));
  return conds;
}

/**
 * The WHERE clause of an asset query: name/hostname/IP substring or fuzzy name match, group, OS, agent status.
 * Every search branch is indexable by the trigram GIN indexes.
 */
export function assetConditions(f: AssetFilter): SQL[] {
  const conds = filterConditions(f);
  const search = f.search?.trim();
  if (search) conds.push(sql`(${containsSearch(search)} OR ${fuzzyName(search)})`);
  return conds;
}

type AssetRecord = typeof assets.$inferSelect;

/** An asset as its reads show it: its groups (`group_refs`) under the name `groups`. */
export type AssetRow = Omit<AssetRecord, 'groupRefs'> & { groups: AssetRecord['groupRefs']; rank?: number };

/** Rank of the substring class (exact matches add another 1000); fuzzy-only matches rank below it (0–1000). */
const SUBSTRING_RANK = 2000;

/**
 * Relevance of an asset to a search string, as an integer so that it can sit in a cursor: an exact name, hostname or
 * IP match first (3000), then substring matches (2000), then fuzzy name matches; within each class by trigram
 * similarity of the name (0–1000). Each statement reads one class, so its rank is that class's: a substring page's
 * rows all contain the search (the WHERE clause says so) and a fuzzy page's contain it nowhere (it is read only when
 * nothing does), so neither tests containment again per candidate (three ILIKEs a row).
 */
function rankOf({ search, lowered }: SearchTerms, match: 'contains' | 'fuzzy'): SQL<number> {
  const similar = sql`round(similarity(${assets.name}, ${search}) * 1000)`;
  if (match === 'fuzzy') return sql<number>`(${similar})::int`;
  return sql<number>`(case
    when lower(${assets.name}) = ${lowered} or lower(${assets.hostname}) = ${lowered} or ${assets.ipText} = ${search} then 3000
    else ${sql.raw(String(SUBSTRING_RANK))} end + ${similar})::int`;
}

/**
 * An asset row with its groups: what every asset read selects. The groups come from the row itself (`group_refs`,
 * `{id, name}` by name, kept equal to the memberships by migration 0030's triggers): a page is one statement over
 * the asset table alone, without a per-asset look-up of memberships and groups.
 */
const { groupRefs, ...assetColumns } = getTableColumns(assets);
const assetWithGroups = { ...assetColumns, groups: groupRefs };

interface PageOpts {
  limit: number;
  after?: string;
  afterRank?: number;
}

/**
 * One page of assets. Without a search, in id (creation) order; with one, the assets whose name, hostname or IP
 * contains it, most relevant first (`rankOf`), ties in id order; only when none does, the names that resemble it
 * (trigram similarity above Vigil's threshold), most similar first.
 * Returns up to `limit + 1` rows (the extra one tells `page()` there is a next page).
 */
export async function listAssets(db: Executor, filter: AssetFilter, pageOpts: PageOpts): Promise<AssetRow[]> {
  const search = filter.search?.trim();
  if (!search && !filter.ids) return plainPage(db, filter, pageOpts);
  if (!search) {
    const conds = filterConditions(filter);
    if (pageOpts.after) conds.push(gt(assets.id, pageOpts.after));
    return db
      .select(assetWithGroups)
      .from(assets)
      .where(and(...conds))
      .orderBy(assets.id)
      .limit(pageOpts.limit + 1);
  }
  // Substring search first (the trigram GIN indexes answer `ILIKE '%q%'` with a bitmap scan of the few matches). The
  // fuzzy class is a fallback for a search that no name, hostname or IP contains (a typo): a name that shares most
  // of a short search's trigrams is most of the fleet ("web-004240" resembles every "web-00…"), so ranking it costs
  // a similarity per candidate, and the user who typed a name that exists wants that asset, not its neighbours.
  // A cursor's rank says which class it continues: substring ranks are >= SUBSTRING_RANK, fuzzy ranks below.
  const wanted = pageOpts.limit + 1;
  const afterRank = pageOpts.after ? (pageOpts.afterRank ?? Number.MAX_SAFE_INTEGER) : undefined;
  if (afterRank === undefined || afterRank >= SUBSTRING_RANK) {
    const rows = await rankedPage(db, filter, search, 'contains', wanted, pageOpts.after, afterRank);
    if (rows.length > 0 || afterRank !== undefined) return rows;
  }
  return rankedPage(db, filter, search, 'fuzzy', wanted, pageOpts.after, afterRank);
}

/**
 * A page in id order without a search or an id list: `filterConditions` with placeholders for its values, built once
 * per shape (which filters are set, a cursor or none).
 */
function plainPage(db: Executor, filter: AssetFilter, pageOpts: PageOpts): Promise<AssetRow[]> {
  const shape = `assets:${pageOpts.after ? 'after' : ''}:${filter.groupId ? 'group' : ''}:${filter.os ? 'os' : ''}:${filter.agentStatus ? 'agent' : ''}`;
  const query = reusedQuery(db, shape, () =>
    db
      .select(assetWithGroups)
      .from(assets)
      .where(
        and(
          ...filterConditions({
            accountId: sql.placeholder('accountId'),
            groupId: filter.groupId ? sql.placeholder('groupId') : undefined,
            os: filter.os ? sql.placeholder('os') : undefined,
            agentStatus: filter.agentStatus ? sql.placeholder('agentStatus') : undefined,
          }),
          pageOpts.after ? gt(assets.id, sql.placeholder('after')) : undefined,
        ),
      )
      .orderBy(assets.id)
      .limit(sql.placeholder('limit'))
      .prepare('list_assets'),
  );
  return query.execute({
    accountId: filter.accountId,
    groupId: filter.groupId,
    os: filter.os,
    agentStatus: filter.agentStatus,
    after: pageOpts.after,
    limit: pageOpts.limit + 1,
  });
}

/**
 * One page of a ranked search, its statement built with placeholders once per shape (substring or fuzzy class, a
 * cursor or none, which filters are set); a list of ids (not a list endpoint's filter) builds it for the call.
 */
async function rankedPage(
  db: Executor,
  filter: AssetFilter,
  search: string,
  match: 'contains' | 'fuzzy',
  limit: number,
  after: string | undefined,
  afterRank: number | undefined,
): Promise<AssetRow[]> {
  const cursor = after !== undefined && afterRank !== undefined;
  // Planned once: with custom plans, planning the search took about as long as running it (0.65 of 1.5 ms at
  // 10,000 assets), and the statement plans well without its values (below).
  const runner = plannedOnce(db);
  const build = () => {
    const terms: SearchTerms = {
      search: sql.placeholder('search'),
      lowered: sql.placeholder('lowered'),
      pattern: sql.placeholder('pattern'),
      indexed: {
        name: sql.placeholder('namePattern'),
        hostname: sql.placeholder('hostnamePattern'),
        ip: sql.placeholder('ipPattern'),
      },
    };
    const rank = rankOf(terms, match);
    // The account and the filters are checked on the trigram matches, never as an index's bitmap: with the search
    // terms as parameters, Postgres may settle on a generic plan, which prices the account's rows at an average
    // account's share and ANDs the account index's bitmap of the whole fleet into the few matches (7 ms where the
    // match alone takes 2, at 100,000 assets in one of six accounts). `IS TRUE` keeps the test exact and unindexable.
    const filters = filterConditions({
      accountId: sql.placeholder('accountId'),
      groupId: filter.groupId ? sql.placeholder('groupId') : undefined,
      os: filter.os ? sql.placeholder('os') : undefined,
      agentStatus: filter.agentStatus ? sql.placeholder('agentStatus') : undefined,
      ids: filter.ids,
    });
    const conds = [
      sql`(${and(...filters)}) is true`,
      match === 'contains' ? containsIndexed(terms) : fuzzyName(terms.search),
    ];
    if (cursor) {
      const afterRankValue = sql.placeholder('afterRank');
      const next = or(
        sql`${rank} < ${afterRankValue}`,
        and(sql`${rank} = ${afterRankValue}`, gt(assets.id, sql.placeholder('after'))),
      );
      if (next) conds.push(next);
    }
    return runner
      .select({ ...assetWithGroups, rank })
      .from(assets)
      .where(and(...conds))
      .orderBy(sql`${rank} desc`, assets.id)
      .limit(sql.placeholder('limit'))
      .prepare('search_assets');
  };
  const shape = `asset_search:${match}:${cursor ? 'after' : ''}:${filter.groupId ? 'group' : ''}:${filter.os ? 'os' : ''}:${filter.agentStatus ? 'agent' : ''}`;
  const query = filter.ids ? build() : reusedQuery(runner, shape, build);
  return query.execute({
    ...(await searchTerms(db, search, match)),
    accountId: filter.accountId,
    groupId: filter.groupId,
    os: filter.os,
    agentStatus: filter.agentStatus,
    after,
    afterRank,
    limit,
  });
}

export async function getAsset(db: Executor, accountId: string, id: string): Promise<AssetRow | null> {
  const query = reusedQuery(db, 'asset', () =>
    db
      .select(assetWithGroups)
      .from(assets)
      .where(and(eq(assets.accountId, sql.placeholder('accountId')), eq(assets.id, sql.placeholder('id'))))
      .prepare('get_asset'),
  );
  const [row] = await query.execute({ accountId, id });
  return row ?? null;
}
