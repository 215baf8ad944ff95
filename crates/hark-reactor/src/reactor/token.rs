//! How the reactor's one token space is shared: the top bits say which kind of socket a
//! token belongs to, the rest index that kind's table.

use mio::Token;

const KIND_SHIFT: u32 = usize::BITS - 4;
const INDEX_MASK: usize = (1 << KIND_SHIFT) - 1;
const UDP: usize = 1;
const TCP: usize = 2;
const SCTP: usize = 3;

/// The token of the cross-thread waker.
pub(crate) const WAKER: Token = Token(usize::MAX);

/// What a readiness token names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Waker,
    Udp(usize),
    Tcp(usize),
    Sctp(usize),
    Unknown,
}

/// The token of UDP socket slot `index`.
pub(crate) fn udp(index: usize) -> Token {
    Token(UDP << KIND_SHIFT | (index & INDEX_MASK))
}

/// The token of TCP entry `key`.
pub(crate) fn tcp(key: usize) -> Token {
    Token(TCP << KIND_SHIFT | (key & INDEX_MASK))
}

/// The token of SCTP socket `id`.
pub(crate) fn sctp(id: usize) -> Token {
    Token(SCTP << KIND_SHIFT | (id & INDEX_MASK))
}

/// Which socket a token names.
pub(crate) fn kind(token: Token) -> Kind {
    if token == WAKER {
        return Kind::Waker;
    }
    let index = token.0 & INDEX_MASK;
    match token.0 >> KIND_SHIFT {
        UDP => Kind::Udp(index),
        TCP => Kind::Tcp(index),
        SCTP => Kind::Sctp(index),
        _ => Kind::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_never_collide_with_the_waker() {
        assert_eq!(kind(udp(7)), Kind::Udp(7));
        assert_eq!(kind(tcp(0)), Kind::Tcp(0));
        assert_eq!(kind(sctp(12)), Kind::Sctp(12));
        assert_eq!(kind(WAKER), Kind::Waker);
        assert_ne!(tcp(INDEX_MASK), WAKER);
        assert_eq!(kind(Token(0)), Kind::Unknown);
    }
}
