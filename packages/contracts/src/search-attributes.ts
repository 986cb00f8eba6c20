import { defineSearchAttributeKey } from '@temporalio/common';

// Custom search attributes upserted by the simulation workflow so simulations can be
// listed and filtered by state. They must be registered on the server: the local stack
// passes the same names to `temporal server start-dev --search-attribute` (scripts/stack/lib.sh).
export const SA_STATE = defineSearchAttributeKey('KunlunState', 'KEYWORD');
export const SA_ROUND = defineSearchAttributeKey('KunlunRound', 'INT');
export const SA_PROGRESS = defineSearchAttributeKey('KunlunProgress', 'DOUBLE');

/** Name → CLI type, as `temporal operator search-attribute create` and start-dev expect. */
export const SEARCH_ATTRIBUTE_REGISTRATIONS = {
  KunlunState: 'Keyword',
  KunlunRound: 'Int',
  KunlunProgress: 'Double',
} as const;
