import { VigilError } from '../errors.js';

/** How an account stands in its resource directory. */
export const DIRECTORY_ROLES = ['management', 'delegated-admin', 'member'] as const;
export type DirectoryRole = (typeof DIRECTORY_ROLES)[number];

/** Manual, "Add a delegated administrator account": at most five delegated administrators for Security Center. */
export const MAX_DELEGATED_ADMINS = 5;

export const INVITATION_STATUSES = ['pending', 'accepted', 'declined', 'cancelled'] as const;
export type InvitationStatus = (typeof INVITATION_STATUSES)[number];

/** How an account came into its directory. */
export const DIRECTORY_JOIN_KINDS = ['enabled', 'created', 'invited'] as const;
export type DirectoryJoinKind = (typeof DIRECTORY_JOIN_KINDS)[number];

/** The role follows from two facts; it is never stored, so removing a delegated administrator takes effect at once. */
export function directoryRole(opts: { isManagement: boolean; isDelegatedAdmin: boolean }): DirectoryRole {
  if (opts.isManagement) return 'management';
  return opts.isDelegatedAdmin ? 'delegated-admin' : 'member';
}

/** Only a pending invitation can be answered or cancelled: anything else is a 409 naming its state. */
export function refuseUnlessPending(invitation: { status: string }): void {
  if (invitation.status !== 'pending') {
    throw new VigilError('conflict', `the invitation is already ${invitation.status}`);
  }
}
