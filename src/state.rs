//! The two connection-state models: the server-level state and kazoo's simplified one.

/// The server-level connection state.
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Not connected; trying to connect (initially, or after a dropped connection).
    Connecting = 1,
    /// Connected to a read-write server.
    Connected = 3,
    /// Connected to a read-only server (only with the `read_only` option).
    ConnectedReadOnly = 5,
    /// The server refused the credentials; the client stops connecting.
    AuthFailed = -113,
    /// The session expired; the client is starting a new one.
    Expired = -112,
    /// The client was closed.
    Closed = 7,
}

/// kazoo's state model: `LOST` (no session), `SUSPENDED` (connection lost, session maybe alive),
/// `CONNECTED`.
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KazooState {
    /// No session: never connected, expired, auth failed or closed.
    Lost = 0,
    /// The connection is lost; the session may still be alive.
    Suspended = 1,
    /// Connected, with a session.
    Connected = 2,
}

impl State {
    /// What kazoo's model says while the client is in this state, coming from `previous`.
    pub(crate) fn kazoo(self, previous: KazooState) -> KazooState {
        match self {
            State::Connected | State::ConnectedReadOnly => KazooState::Connected,
            State::Connecting => match previous {
                KazooState::Lost => KazooState::Lost,
                _ => KazooState::Suspended,
            },
            State::AuthFailed | State::Expired | State::Closed => KazooState::Lost,
        }
    }
}

/// What a state listener receives: the new server-level state, kazoo's state, and whether kazoo's
/// state changed with it (kazoo's listeners are called only then).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateEvent {
    /// The new server-level state.
    pub state: State,
    /// kazoo's state now.
    pub kazoo_state: KazooState,
    /// kazoo's state before this event.
    pub previous_kazoo_state: KazooState,
}

impl StateEvent {
    /// Whether kazoo's state changed with this event.
    pub fn kazoo_changed(&self) -> bool {
        self.kazoo_state != self.previous_kazoo_state
    }
}
