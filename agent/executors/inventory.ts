import { compareDpkgVersions } from '../../domain/package-versions.js';
import { severityOfAdvisory, severityOfDebianUpdate, type THostFinding } from '../../domain/host-findings.js';

/** One `Inst` line of `apt-get -s upgrade`: a package the host has and a newer candidate. */
export interface AptUpgrade {
  packageName: string;
  installedVersion: string;
  candidateVersion: string;
  /** `Label:Version/Archive` of every source offering the candidate. */
  origins: string[];
  security: boolean;
}

const INST = /^Inst (\S+) \[([^\]]+)\] \((\S+) (.*?)(?: \[[^\]]+\])?\)(?: \[[^\]]*\])?\s*$/;

/**
 * Parses `apt-get -s upgrade` (the stable, script-readable form; research notes §1):
 * `Inst libgcrypt20 [1.10.1-3] (1.10.1-3+deb12u1 Debian:12.15/oldstable, Debian-Security:12/oldstable-security [amd64])`.
 * A security origin is one whose label says Security or whose archive ends in `-security` (bookworm's security
 * archive is `oldstable-security`, so match the suffix, not a name).
 */
export function parseAptSimulation(text: string): AptUpgrade[] {
  const out: AptUpgrade[] = [];
  for (const line of text.split('\n')) {
    const m = INST.exec(line.trim());
    if (!m) continue;
    const [, packageName = '', installedVersion = '', candidateVersion = '', originText = ''] = m;
    const origins = originText
      .split(',')
      .map((o) => o.trim())
      .filter((o) => o !== '');
    const security = origins.some((o) => /security/i.test(o.split(':')[0] ?? '') || /-security$/i.test(o));
    out.push({ packageName, installedVersion, candidateVersion, origins, security });
  }
  return out;
}

/** What the changelog entries between the installed and the candidate version say. */
export interface ChangelogFacts {
  cveIds: string[];
  advisory: string | null;
  /** The highest urgency among those entries. */
  urgency: string | null;
}

const URGENCY_RANK = ['low', 'medium', 'high', 'emergency', 'critical'];
const ENTRY = /^(\S+) \(([^)]+)\) [^;]*;.*\burgency=(\w+)/;

/**
 * Reads a Debian changelog (`changelog.Debian`, newest entry first) and collects the CVE ids, the DSA/DLA advisory and
 * the urgency of the entries newer than `installed` (research notes §1: security uploads list their CVEs).
 */
export function changelogFacts(changelog: string, installed: string): ChangelogFacts {
  const cves = new Set<string>();
  let advisory: string | null = null;
  let urgency: string | null = null;
  let inNewer = false;
  for (const line of changelog.split('\n')) {
    const head = ENTRY.exec(line);
    if (head) {
      const version = head[2] ?? '';
      inNewer = compareDpkgVersions(version, installed) > 0;
      if (!inNewer) break;
      const u = (head[3] ?? '').toLowerCase();
      if (urgency === null || URGENCY_RANK.indexOf(u) > URGENCY_RANK.indexOf(urgency)) urgency = u;
      continue;
    }
    if (!inNewer) continue;
    for (const c of line.match(/CVE-\d{4}-\d{4,}/g) ?? []) cves.add(c);
    advisory ??= /\b(?:DSA|DLA)-\d+(?:-\d+)?\b/.exec(line)?.[0] ?? null;
  }
  return { cveIds: [...cves].sort(), advisory, urgency };
}

/** An apt upgrade as a finding; `facts` from its changelog when it could be read. */
export function aptFinding(u: AptUpgrade, facts: ChangelogFacts | null): THostFinding {
  const origin = u.origins.join(', ');
  return {
    name: u.packageName,
    title:
      `${u.packageName} ${u.candidateVersion} ${u.security ? 'security update' : 'update'}${origin ? ` (${origin})` : ''}`.slice(
        0,
        500,
      ),
    packageName: u.packageName,
    installedVersion: u.installedVersion,
    fixedVersion: u.candidateVersion,
    advisory: facts?.advisory ?? null,
    cveIds: facts?.cveIds ?? [],
    severity: severityOfDebianUpdate(facts?.urgency ?? null, u.security),
    security: u.security,
    origin: origin.slice(0, 500),
  };
}

/** `name-[epoch:]version-release.arch` split into name and `epoch:version-release`. */
export function parseNevra(nevra: string): { name: string; evr: string; arch: string } | null {
  const m = /^(.+)-(?:(\d+):)?([^-]+)-([^-]+)\.([^.]+)$/.exec(nevra);
  if (!m) return null;
  const [, name = '', epoch, version = '', release = '', arch = ''] = m;
  return { name, evr: `${epoch ?? '0'}:${version}-${release}`, arch };
}

/** One line of `dnf updateinfo list --security [--with-cve]`: `ID  Severity/Sec.  NEVRA`. */
export interface DnfAdvisoryLine {
  id: string;
  severity: string | null;
  nevra: string;
}

export function parseUpdateinfoList(text: string): DnfAdvisoryLine[] {
  const out: DnfAdvisoryLine[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+(?:([A-Za-z]+)\/)?Sec\.\s+(\S+)\s*$/.exec(line.trim());
    if (m) out.push({ id: m[1] ?? '', severity: m[2] ?? null, nevra: m[3] ?? '' });
  }
  return out;
}

/**
 * Findings from dnf's advisory list and its CVE list (the same advisories listed by CVE id), joined by the fixing
 * package; `installed` gives each package's installed `epoch:version-release`.
 */
export function dnfFindings(
  advisories: DnfAdvisoryLine[],
  cveLines: DnfAdvisoryLine[],
  installed: Map<string, string>,
): THostFinding[] {
  const cvesByNevra = new Map<string, Set<string>>();
  for (const c of cveLines) {
    if (!/^CVE-\d{4}-\d{4,}$/.test(c.id)) continue;
    const set = cvesByNevra.get(c.nevra) ?? new Set<string>();
    set.add(c.id);
    cvesByNevra.set(c.nevra, set);
  }
  const out = new Map<string, THostFinding>();
  for (const a of advisories) {
    const p = parseNevra(a.nevra);
    const current = p ? installed.get(p.name) : undefined;
    if (!p || current === undefined) continue;
    const name = `${a.id}/${p.name}`.slice(0, 200);
    const severity = severityOfAdvisory(a.severity);
    out.set(name, {
      name,
      title: `${a.id}: ${p.name} ${p.evr} (${a.severity ?? 'unrated'} security advisory)`,
      packageName: p.name,
      installedVersion: current,
      fixedVersion: p.evr,
      advisory: a.id,
      cveIds: [...(cvesByNevra.get(a.nevra) ?? [])].sort(),
      severity,
      security: true,
      origin: 'security advisory',
    });
  }
  return [...out.values()];
}
