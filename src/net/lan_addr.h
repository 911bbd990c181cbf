/* lan_addr.h - is a peer on the local network? (the kiosk's screens of
 * one site: BEP 14 finds them, the choker serves them first). Pure; any
 * thread. */
#ifndef SP_NET_LAN_ADDR_H
#define SP_NET_LAN_ADDR_H

#include <stdbool.h>

#include <sys/socket.h>

/* IPv4 10/8, 172.16/12, 192.168/16, 169.254/16 (link-local), 127/8;
 * IPv6 fc00::/7 (unique local), fe80::/10 (link-local), ::1, and the
 * IPv4-mapped forms of the IPv4 ones. NULL or another family: false. */
bool sp_addr_is_lan(const struct sockaddr *sa);

#endif
