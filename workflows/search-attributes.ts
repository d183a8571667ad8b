import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Search attributes Vigil puts on its workflows (DESIGN §6). Registered when the dev server starts. */
export const VigilAccountId = defineSearchAttributeKey('VigilAccountId', SearchAttributeType.KEYWORD);
export const VigilTaskId = defineSearchAttributeKey('VigilTaskId', SearchAttributeType.KEYWORD);
export const VigilPolicyId = defineSearchAttributeKey('VigilPolicyId', SearchAttributeType.KEYWORD);
export const VigilStatus = defineSearchAttributeKey('VigilStatus', SearchAttributeType.KEYWORD);
export const VigilReportId = defineSearchAttributeKey('VigilReportId', SearchAttributeType.KEYWORD);
export const VigilMemberId = defineSearchAttributeKey('VigilMemberId', SearchAttributeType.KEYWORD);

export const vigilSearchAttributes = [
  VigilAccountId,
  VigilTaskId,
  VigilPolicyId,
  VigilStatus,
  VigilReportId,
  VigilMemberId,
] as const;
