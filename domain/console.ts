/** A console session lasts one working day: a forgotten browser or a copied cookie stops working by itself. */
export const CONSOLE_SESSION_TTL_MS = 12 * 60 * 60 * 1000;

/** The console speaks the two languages of the product manual and of security reports. */
export const CONSOLE_LANGUAGES = ['zh-CN', 'en'] as const;
export type ConsoleLanguage = (typeof CONSOLE_LANGUAGES)[number];

/** Picks the console language from a remembered choice, else the browser's Accept-Language, else English. */
export function consoleLanguage(
  remembered: string | undefined,
  acceptLanguage: string | undefined,
): ConsoleLanguage {
  if (remembered === 'zh-CN' || remembered === 'en') return remembered;
  return /^\s*zh/i.test(acceptLanguage ?? '') ? 'zh-CN' : 'en';
}

/** The console page of a Playbook task: what mails, DingTalk messages and the Temporal UI link to. */
export const consoleTaskUrl = (publicUrl: string, taskId: string) =>
  `${publicUrl}/console/playbook/tasks/${taskId}`;
