// Participant portal, invitation links (with QR codes) and e-mail campaigns
// (commands in src-tauri/src/commands/invitations.rs).
import { channel, invokeCommand as invoke, type Language } from "../../shared/api.js";
// Types generated from the Rust types (ts-rs, `cargo test` refreshes ui/src/gen/).
import type { InvitationCount } from "../../gen/InvitationCount.js";
import type { InvitationLink as Link } from "../../gen/InvitationLink.js";
import type { PortalInfo } from "../../gen/PortalInfo.js";
export type { InvitationCount } from "../../gen/InvitationCount.js";
export type { InvitationLink as Link } from "../../gen/InvitationLink.js";
export type { PortalInfo } from "../../gen/PortalInfo.js";
import type { PortalAddress } from "../../gen/PortalAddress.js";
import type { PortalAddressInfo } from "../../gen/PortalAddressInfo.js";
import type { SendProgress } from "../../gen/SendProgress.js";
export type { NetInterface } from "../../gen/NetInterface.js";
export type { PortalAddress } from "../../gen/PortalAddress.js";
export type { PortalAddressInfo } from "../../gen/PortalAddressInfo.js";
export type { SendProgress } from "../../gen/SendProgress.js";

export const invitationsApi = {
  portalStart: (lan: boolean, port: number | null) => invoke<PortalInfo>("portal_start", { lan, port }),
  portalStop: () => invoke<null>("portal_stop"),
  portalStatus: () => invoke<PortalInfo | null>("portal_status"),
  portalAddress: () => invoke<PortalAddressInfo>("portal_address"),
  portalAddressSave: (settings: PortalAddress) => invoke<PortalAddress>("portal_address_save", { settings }),
  participantLink: (participantId: string) => invoke<Link>("invitation_link", { participantId }),
  eventLink: (eventId: string) => invoke<Link>("event_share_link", { eventId }),
  queue: (eventId: string, ids: string[] | null, resend: boolean) => invoke<number>("invitations_queue", { eventId, ids, resend }),
  counts: (eventId: string) => invoke<InvitationCount[]>("invitations_counts", { eventId }),
  send: (eventId: string, lang: Language, onProgress: (p: SendProgress) => void) =>
    invoke<SendProgress>("invitations_send", { eventId, lang, perMinute: null, onProgress: channel(onProgress) }),
  cancel: () => invoke<null>("invitations_cancel"),
};

/** An <img> showing a backend-made QR code (a data: URL, allowed by the CSP). */
export function qrImage(svg: string, alt: string): HTMLImageElement {
  const img = document.createElement("img");
  img.src = `data:image/svg+xml;base64,${btoa(unescape(encodeURIComponent(svg)))}`;
  img.alt = alt;
  img.width = 200;
  img.height = 200;
  img.className = "qr";
  return img;
}
