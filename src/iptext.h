/* iptext.h: the text of an IP address ("127.0.0.1", "::1"), for the socket
 * and DNS files.  IPv4 is written here digit by digit: glibc's inet_ntop
 * formats it with sprintf, which cost more than the rest of turning an A
 * answer into Python objects.  IPv6 is inet_ntop's (its "::" rules). */
#ifndef IDK_IPTEXT_H
#define IDK_IPTEXT_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>

#define IDK_IPTEXT_SIZE INET6_ADDRSTRLEN

/* buf (IDK_IPTEXT_SIZE bytes) holds the address's text; NULL for another
 * family. */
static inline const char *idk_ip_text(int family, const void *addr, char *buf)
{
    const unsigned char *octet = (const unsigned char *)addr;
    char *out = buf;
    int i;
    if (family != AF_INET)
        return inet_ntop(family, addr, buf, IDK_IPTEXT_SIZE);
    for (i = 0; i < 4; i++) {
        unsigned int v = octet[i];
        if (i > 0)
            *out++ = '.';
        if (v >= 100)
            *out++ = (char)('0' + v / 100);
        if (v >= 10)
            *out++ = (char)('0' + v / 10 % 10);
        *out++ = (char)('0' + v % 10);
    }
    *out = '\0';
    return buf;
}

#endif
