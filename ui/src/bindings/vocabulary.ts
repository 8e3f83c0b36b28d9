// Generated from beacon-api's `vocabulary` by export-bindings. Do not edit.

/** A value as stored, at the start of a line, and inside a sentence. */
export type Term = { value: string; label: string; words: string };

/** Every enumeration the screens show or offer, its values in order. */
export const VOCABULARY: Record<string, Term[]> = {
  source: [
    { value: "hotline_call", label: "Hotline call", words: "hotline call" },
    { value: "hotline_web", label: "Hotline web", words: "hotline web" },
    { value: "hotline_text", label: "Hotline text", words: "hotline text" },
    { value: "local_call", label: "Local call", words: "local call" },
    { value: "walk_in", label: "Walk in", words: "walk in" },
    { value: "other", label: "Other", words: "other" },
  ],
  urgency: [
    { value: "in_progress", label: "In progress", words: "in progress" },
    { value: "imminent", label: "Imminent", words: "imminent" },
    { value: "recent", label: "Recent", words: "recent" },
    { value: "historical", label: "Historical", words: "historical" },
  ],
  trafficking_type: [
    { value: "sex", label: "Sex", words: "sex" },
    { value: "labor", label: "Labor", words: "labor" },
    { value: "both", label: "Both", words: "both" },
    { value: "unknown", label: "Unknown", words: "unknown" },
  ],
  place_type: [
    { value: "hotel", label: "Hotel", words: "hotel" },
    { value: "residence", label: "Residence", words: "residence" },
    { value: "business", label: "Business", words: "business" },
    { value: "vehicle", label: "Vehicle", words: "vehicle" },
    { value: "street", label: "Street", words: "street" },
    { value: "truck_stop", label: "Truck stop", words: "truck stop" },
    { value: "online", label: "Online", words: "online" },
    { value: "other", label: "Other", words: "other" },
  ],
  minors: [
    { value: "yes", label: "Yes", words: "yes" },
    { value: "no", label: "No", words: "no" },
    { value: "unknown", label: "Unknown", words: "unknown" },
  ],
  reporter_kind: [
    { value: "victim", label: "Victim", words: "victim" },
    { value: "community_member", label: "Community member", words: "community member" },
    { value: "professional", label: "Professional", words: "professional" },
    { value: "anonymous", label: "Anonymous", words: "anonymous" },
  ],
  status: [
    { value: "new", label: "New", words: "new" },
    { value: "triaged", label: "Triaged", words: "triaged" },
    { value: "handed_off", label: "Handed off", words: "handed off" },
    { value: "acknowledged", label: "Acknowledged", words: "acknowledged" },
    { value: "on_scene", label: "On scene", words: "on scene" },
    { value: "closed", label: "Closed", words: "closed" },
    { value: "reopened", label: "Reopened", words: "reopened" },
  ],
  open_status: [
    { value: "new", label: "New", words: "new" },
    { value: "triaged", label: "Triaged", words: "triaged" },
    { value: "handed_off", label: "Handed off", words: "handed off" },
    { value: "acknowledged", label: "Acknowledged", words: "acknowledged" },
    { value: "on_scene", label: "On scene", words: "on scene" },
    { value: "reopened", label: "Reopened", words: "reopened" },
  ],
  role: [
    { value: "trooper", label: "Trooper", words: "trooper" },
    { value: "victim_advocate", label: "Victim advocate", words: "victim advocate" },
    { value: "investigator", label: "Investigator", words: "investigator" },
    { value: "supervisor", label: "Supervisor", words: "supervisor" },
  ],
  method: [
    { value: "point", label: "Point", words: "point" },
    { value: "zip", label: "Zip", words: "zip" },
    { value: "county_name", label: "County name", words: "county name" },
    { value: "manual", label: "Manual", words: "manual" },
    { value: "unknown", label: "Unknown", words: "unknown" },
  ],
};

/** What a referral that does not say holds: where a form starts. */
export const DEFAULTS: Record<string, string> = {
  source: "other",
  trafficking_type: "unknown",
  minors: "unknown",
  reporter_kind: "anonymous",
};
