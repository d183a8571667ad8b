/** A Pod admitted by the break-glass annotation although its policies deny it: what the notification says. */
export interface BreakGlassEvent {
  accountId: string;
  clusterId: string;
  clusterName: string;
  /** The Pod's uid, or the AdmissionReview's uid when the object has none. */
  podOrRequestUid: string;
  namespace: string;
  kind: string;
  name: string;
  user: string;
  justification: string;
  deniedBecause: string;
}

/** The notification for every channel type (DingTalk markdown, e-mail text). */
export function breakGlassMessage(e: BreakGlassEvent): { title: string; markdown: string; text: string } {
  const what = `${e.kind} ${e.namespace}/${e.name || '(unnamed)'}`;
  const title = `Vigil: break-glass admitted ${what} in cluster "${e.clusterName}"`;
  return {
    title,
    markdown: [
      `**${title}**`,
      '',
      `- by: ${e.user}`,
      `- justification: ${e.justification}`,
      `- would have been denied: ${e.deniedBecause}`,
      `- uid: \`${e.podOrRequestUid}\``,
    ].join('\n'),
    text: `${title}, by ${e.user} ("${e.justification}"). Would have been denied: ${e.deniedBecause}`,
  };
}
