//! kazoo's `Party` and `ShallowParty`: a set of members, each an ephemeral node under `<path>`.
//!
//! A [`Party`] member is `<path>/<uuid>__party__` holding the member's identifier; listing the members
//! reads every such node. A shallow party puts the identifier in the name instead,
//! `<path>/<uuid>-<identifier>` (the data holds it too), so one `get_children` lists the members; the
//! identifier must then be usable in a node name.

use super::uuid_hex;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::ops::CreateOptions;
use crate::path::validate_path;
use crate::retry::RetryPolicy;
use crate::txn::{ReadOp, ReadResult};
use std::sync::atomic::{AtomicBool, Ordering};

/// What marks a member node of a (deep) party.
const PARTY_MARKER: &str = "__party__";

/// A party member (kazoo's `Party`, or `ShallowParty` with [`Party::shallow`]).
pub struct Party {
    client: Client,
    path: String,
    identifier: String,
    node: String,
    shallow: bool,
    participating: AtomicBool,
    ensured: AtomicBool,
    retry: RetryPolicy,
}

impl Party {
    /// A member of the party at `path` with `identifier` (stored in its node; may be empty).
    /// `InvalidPath` if `path` breaks ZooKeeper's rules.
    pub fn new(client: &Client, path: &str, identifier: &str) -> Result<Party> {
        Party::build(client, path, identifier, false)
    }

    /// A member of the shallow party at `path`: `identifier` becomes part of the node's name.
    /// `InvalidPath` if `path` is bad or `identifier` cannot be part of a node name (a `/`, a control
    /// character, ...).
    pub fn shallow(client: &Client, path: &str, identifier: &str) -> Result<Party> {
        Party::build(client, path, identifier, true)
    }

    fn build(client: &Client, path: &str, identifier: &str, shallow: bool) -> Result<Party> {
        validate_path(path, false)?;
        let node =
            if shallow { format!("{}-{identifier}", uuid_hex()) } else { format!("{}{PARTY_MARKER}", uuid_hex()) };
        let party = Party {
            client: client.clone(),
            path: path.to_string(),
            identifier: identifier.to_string(),
            node,
            shallow,
            participating: AtomicBool::new(false),
            ensured: AtomicBool::new(false),
            retry: RetryPolicy::forever(),
        };
        if shallow {
            if identifier.contains('/') {
                return Err(Error::InvalidPath {
                    path: party.create_path(),
                    reason: "a shallow party identifier cannot contain '/'".into(),
                });
            }
            validate_path(&party.create_path(), false)?;
        }
        Ok(party)
    }

    /// Retries connection loss with `policy` instead of kazoo's command retry
    /// ([`RetryPolicy::forever`]).
    pub fn with_retry(mut self, policy: RetryPolicy) -> Party {
        self.retry = policy;
        self
    }

    /// Whether this member has joined (and not left).
    pub fn participating(&self) -> bool {
        self.participating.load(Ordering::Acquire)
    }

    /// This member's identifier.
    pub fn identifier(&self) -> &str {
        &self.identifier
    }

    /// The path of this member's node.
    pub fn create_path(&self) -> String {
        if self.path == "/" {
            format!("/{}", self.node)
        } else {
            format!("{}/{}", self.path, self.node)
        }
    }

    fn ensure_parent(&self) -> Result<()> {
        if !self.ensured.load(Ordering::Acquire) {
            self.client.ensure_path(&self.path)?;
            self.ensured.store(true, Ordering::Release);
        }
        Ok(())
    }

    /// Joins the party (creates this member's ephemeral node; an existing one is taken over).
    pub fn join(&self) -> Result<()> {
        let me = self.create_path();
        self.client.retry(&self.retry, || {
            self.ensure_parent()?;
            match self.client.create(&me, self.identifier.as_bytes(), &CreateOptions::ephemeral()) {
                Ok(_) | Err(Error::NodeExists(_)) => Ok(()),
                Err(Error::NoNode(p)) => {
                    // The parent was deleted since it was ensured.
                    self.ensured.store(false, Ordering::Release);
                    Err(Error::ForceRetry(format!("{p} vanished")))
                }
                Err(e) => Err(e),
            }
        })?;
        self.participating.store(true, Ordering::Release);
        Ok(())
    }

    /// Leaves the party: `true` if this member's node was removed, `false` if it was already gone.
    pub fn leave(&self) -> Result<bool> {
        self.participating.store(false, Ordering::Release);
        let me = self.create_path();
        let mut attempts = 0;
        self.client.retry(&self.retry, || {
            attempts += 1;
            match self.client.delete(&me, -1) {
                Ok(()) => Ok(true),
                // After a lost reply NoNode may be our own delete having gone through.
                Err(Error::NoNode(_)) => Ok(attempts > 1),
                Err(e) => Err(e),
            }
        })
    }

    /// The member nodes' names.
    fn member_nodes(&self) -> Result<Vec<String>> {
        self.client
            .retry(&self.retry, || {
                self.ensure_parent()?;
                match self.client.get_children(&self.path, None) {
                    Ok((children, _)) => Ok(children),
                    Err(Error::NoNode(p)) => {
                        self.ensured.store(false, Ordering::Release);
                        Err(Error::ForceRetry(format!("{p} vanished")))
                    }
                    Err(e) => Err(e),
                }
            })
            .map(|mut children| {
                if !self.shallow {
                    children.retain(|c| c.contains(PARTY_MARKER));
                }
                children.sort();
                children
            })
    }

    /// The number of members (as kazoo: a shallow party counts every child of `<path>`).
    pub fn len(&self) -> Result<usize> {
        self.member_nodes().map(|m| m.len())
    }

    /// Whether the party has no members.
    pub fn is_empty(&self) -> Result<bool> {
        self.len().map(|n| n == 0)
    }

    /// The members' identifiers. A deep party reads them from the nodes, in one round trip; members
    /// that leave meanwhile are skipped. A shallow party takes them from the names (after the first
    /// `-`).
    pub fn members(&self) -> Result<Vec<String>> {
        let nodes = self.member_nodes()?;
        if self.shallow {
            return Ok(nodes.iter().map(|n| n.split_once('-').map_or(n.as_str(), |(_, id)| id).to_string()).collect());
        }
        if nodes.is_empty() {
            return Ok(Vec::new());
        }
        let reads: Vec<ReadOp> = nodes
            .iter()
            .map(|n| ReadOp::GetData(if self.path == "/" { format!("/{n}") } else { format!("{}/{n}", self.path) }))
            .collect();
        let results = self.client.retry(&self.retry, || self.client.multi_read(&reads))?;
        let mut members = Vec::with_capacity(results.len());
        for r in results {
            match r {
                ReadResult::Data(data, _) => members.push(String::from_utf8_lossy(&data).into_owned()),
                ReadResult::Failed(Error::NoNode(_)) => {}
                ReadResult::Failed(e) => return Err(e),
                ReadResult::Children(_) => {
                    return Err(Error::Marshalling("a data read of the party was answered with children".into()))
                }
            }
        }
        Ok(members)
    }
}
