/**
 * The longest `search` of the help-desk list (GET /api/help-desks/?search=): room for any part of
 * a name or phone a person types. An input bound like a client name's, not a tuning knob. Its own
 * module, with no dependency, so a browser bundle takes it without the schemas.
 */
export const HELP_DESK_SEARCH_MAX_LENGTH = 100;
