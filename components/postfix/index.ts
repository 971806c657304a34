/** Pure Postfix (and Dovecot SASL) renderers for the relay and the secure nodes; no Pulumi, no I/O. */
export { RELAY_INBOUND_PORT, TLS_CERT_PATH, TLS_KEY_PATH } from "./cf";
export type { InstanceOptions } from "./cf";
export { connectedCustomers, credentialCustomers, domainOwners, mapToken, nextHop, registeredCustomers, renderMap } from "./maps";
export { renderRelay } from "./relay";
export type { RelayOptions } from "./relay";
export { headerReachingNode, routesSecurely, TABLE_2 } from "./secure-header";
export type { HeaderSources, HeaderValue, Table2Row } from "./secure-header";
export { renderDovecotConf, renderDovecotUsers } from "./dovecot";
export type { DovecotSaslOptions } from "./dovecot";
export { renderSecureNode } from "./secure-node";
export type { SecureNodeOptions } from "./secure-node";
export { lookupDomain, NTA_SOCKETMAP_NAME, ntaVerdict, parseNtaRecord } from "./nta7516";
export type { NtaRecord, Verdict } from "./nta7516";
