//! The tracker: notifications in, association state and events out.

use super::association::{AssocState, Association, CloseReason, PeerAddress};
use super::event::{AssocEvent, FailedSend};
use hark_wire::sctp::{
    AssocChange, AssocChangeState, AuthIndication, Layout, Notification, PdapiIndication,
    PeerAddrState, SendFailedFlags, SndInfo,
};
use std::collections::{BTreeMap, VecDeque};
use std::time::Instant;

/// `SCTP_STREAM_CHANGE_DENIED` : 0x0004 in linux/sctp.h and usrsctp.h.
const STREAM_CHANGE_DENIED: u16 = 0x0004;
/// `SCTP_STREAM_CHANGE_FAILED` : 0x0008 in linux/sctp.h and usrsctp.h.
const STREAM_CHANGE_FAILED: u16 = 0x0008;

/// Most associations tracked at once; closed ones are evicted first to make room.
pub const MAX_ASSOCIATIONS: usize = 4096;
/// Most peer addresses kept per association.
pub const MAX_PEER_ADDRESSES: usize = 64;
/// Most undrained events; beyond it the oldest are dropped and counted.
pub const MAX_EVENTS: usize = 1024;

/// Per-association state built from notifications.
#[derive(Debug, Clone)]
pub struct AssociationTracker {
    layout: Layout,
    associations: BTreeMap<u32, Association>,
    events: VecDeque<AssocEvent>,
    dropped_events: u64,
}

impl AssociationTracker {
    /// A tracker for notifications parsed in `layout` (which decides `sac_info`'s meaning).
    pub fn new(layout: Layout) -> Self {
        AssociationTracker {
            layout,
            associations: BTreeMap::new(),
            events: VecDeque::new(),
            dropped_events: 0,
        }
    }

    /// The association `assoc_id`, if tracked.
    pub fn association(&self, assoc_id: u32) -> Option<&Association> {
        self.associations.get(&assoc_id)
    }

    /// Every tracked association, by id.
    pub fn associations(&self) -> impl Iterator<Item = &Association> {
        self.associations.values()
    }

    /// Stops tracking `assoc_id` and returns what was known.
    pub fn remove(&mut self, assoc_id: u32) -> Option<Association> {
        self.associations.remove(&assoc_id)
    }

    /// Events dropped because [`MAX_EVENTS`] were left undrained.
    pub fn dropped_events(&self) -> u64 {
        self.dropped_events
    }

    /// The next event, oldest first.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<AssocEvent> {
        self.events.pop_front()
    }

    /// Feeds one parsed notification.
    pub fn handle_notification(&mut self, now: Instant, notification: &Notification<'_>) {
        match notification {
            Notification::AssocChange(sac) => self.assoc_change(now, sac),
            Notification::PeerAddrChange(spc) => {
                let Some(assoc) = self.entry(now, spc.spc_assoc_id) else {
                    return;
                };
                let addr = spc.spc_aaddr;
                if spc.spc_state == PeerAddrState::Removed {
                    assoc.peer_addresses.retain(|p| p.addr != addr);
                } else if let Some(known) = assoc.peer_addresses.iter_mut().find(|p| p.addr == addr)
                {
                    known.state = spc.spc_state;
                    known.error = spc.spc_error;
                } else if assoc.peer_addresses.len() < MAX_PEER_ADDRESSES {
                    assoc.peer_addresses.push(PeerAddress {
                        addr,
                        state: spc.spc_state,
                        error: spc.spc_error,
                    });
                }
                self.push(AssocEvent::PeerAddress {
                    assoc_id: spc.spc_assoc_id,
                    addr,
                    state: spc.spc_state,
                });
            }
            Notification::RemoteError(sre) => {
                let tracked = self.entry(now, sre.sre_assoc_id).is_some();
                if tracked {
                    self.push(AssocEvent::RemoteError {
                        assoc_id: sre.sre_assoc_id,
                        error: sre.sre_error,
                        data: sre.sre_data.to_vec(),
                    });
                }
            }
            Notification::SendFailed(ssf) => {
                let info = SndInfo {
                    snd_sid: ssf.ssf_info.sinfo_stream,
                    snd_flags: ssf.ssf_info.sinfo_flags,
                    snd_ppid: ssf.ssf_info.sinfo_ppid,
                    snd_context: ssf.ssf_info.sinfo_context,
                    snd_assoc_id: ssf.ssf_info.sinfo_assoc_id,
                };
                self.send_failed(
                    now,
                    ssf.ssf_assoc_id,
                    info,
                    ssf.ssf_error,
                    ssf.ssf_flags,
                    ssf.ssf_data,
                );
            }
            Notification::SendFailedEvent(ssfe) => {
                self.send_failed(
                    now,
                    ssfe.ssfe_assoc_id,
                    ssfe.ssfe_info,
                    ssfe.ssfe_error,
                    ssfe.ssfe_flags,
                    ssfe.ssfe_data,
                );
            }
            Notification::ShutdownEvent(sse) => {
                if let Some(assoc) = self.entry(now, sse.sse_assoc_id) {
                    assoc.set_state(AssocState::ShuttingDown, now);
                    self.push(AssocEvent::ShuttingDown {
                        assoc_id: sse.sse_assoc_id,
                    });
                }
            }
            Notification::AdaptationIndication(sai) => {
                if let Some(assoc) = self.entry(now, sai.sai_assoc_id) {
                    assoc.adaptation_indication = Some(sai.sai_adaptation_ind);
                    self.push(AssocEvent::Adaptation {
                        assoc_id: sai.sai_assoc_id,
                        indication: sai.sai_adaptation_ind,
                    });
                }
            }
            Notification::PartialDeliveryEvent(pd) => {
                if let Some(assoc) = self.entry(now, pd.pdapi_assoc_id) {
                    if pd.pdapi_indication == PdapiIndication::PartialDeliveryAborted {
                        assoc.partial_delivery_aborts =
                            assoc.partial_delivery_aborts.saturating_add(1);
                        self.push(AssocEvent::PartialDeliveryAborted {
                            assoc_id: pd.pdapi_assoc_id,
                            stream: pd.pdapi_stream,
                            seq: pd.pdapi_seq,
                        });
                    }
                }
            }
            Notification::AuthenticationEvent(auth) => {
                if let Some(assoc) = self.entry(now, auth.auth_assoc_id) {
                    match auth.auth_indication {
                        AuthIndication::NewKey => assoc.active_key = Some(auth.auth_keynumber),
                        AuthIndication::FreeKey
                            if assoc.active_key == Some(auth.auth_keynumber) =>
                        {
                            assoc.active_key = None;
                        }
                        AuthIndication::NoAuth => assoc.peer_lacks_auth = true,
                        _ => {}
                    }
                    self.push(AssocEvent::Auth {
                        assoc_id: auth.auth_assoc_id,
                        key: auth.auth_keynumber,
                        indication: auth.auth_indication,
                    });
                }
            }
            Notification::SenderDryEvent(dry) => {
                if let Some(assoc) = self.entry(now, dry.sender_dry_assoc_id) {
                    assoc.sender_dry = true;
                    self.push(AssocEvent::SenderDry {
                        assoc_id: dry.sender_dry_assoc_id,
                    });
                }
            }
            Notification::NotificationsStoppedEvent(_) => {
                self.push(AssocEvent::NotificationsStopped);
            }
            Notification::StreamResetEvent(reset) => {
                let tracked = self.entry(now, reset.strreset_assoc_id).is_some();
                if tracked {
                    self.push(AssocEvent::StreamsReset {
                        assoc_id: reset.strreset_assoc_id,
                        flags: reset.strreset_flags,
                        streams: reset.strreset_stream_list.iter().collect(),
                    });
                }
            }
            Notification::AssocResetEvent(reset) => {
                let tracked = self.entry(now, reset.assocreset_assoc_id).is_some();
                if tracked {
                    self.push(AssocEvent::AssocReset {
                        assoc_id: reset.assocreset_assoc_id,
                        flags: reset.assocreset_flags,
                    });
                }
            }
            Notification::StreamChangeEvent(change) => {
                let layout = self.layout;
                if let Some(assoc) = self.entry(now, change.strchange_assoc_id) {
                    let refused =
                        change.strchange_flags & (STREAM_CHANGE_DENIED | STREAM_CHANGE_FAILED) != 0;
                    match (refused, layout) {
                        (true, _) => {}
                        // Linux (6.1 stream.c) reports how many streams were added, not the
                        // new totals RFC 6525 describes: seen in the VM tests.
                        (false, Layout::Linux) => {
                            assoc.inbound_streams = assoc
                                .inbound_streams
                                .saturating_add(change.strchange_instrms);
                            assoc.outbound_streams = assoc
                                .outbound_streams
                                .saturating_add(change.strchange_outstrms);
                        }
                        (false, Layout::FreeBsd) => {
                            assoc.inbound_streams = change.strchange_instrms;
                            assoc.outbound_streams = change.strchange_outstrms;
                        }
                    }
                    self.push(AssocEvent::StreamsChanged {
                        assoc_id: change.strchange_assoc_id,
                        flags: change.strchange_flags,
                        inbound_streams: change.strchange_instrms,
                        outbound_streams: change.strchange_outstrms,
                    });
                }
            }
            // Kinds a newer hark-wire adds are ignored until the tracker learns them.
            _ => {}
        }
    }

    fn assoc_change(&mut self, now: Instant, sac: &AssocChange<'_>) {
        let layout = self.layout;
        let Some(assoc) = self.entry(now, sac.sac_assoc_id) else {
            return;
        };
        let assoc_id = sac.sac_assoc_id;
        let closed = |assoc: &mut Association, state, reason: CloseReason| {
            assoc.set_state(state, now);
            assoc.close_reason = Some(reason.clone());
            AssocEvent::Closed {
                assoc_id,
                reason,
                state,
            }
        };
        let event = match sac.sac_state {
            AssocChangeState::CommUp | AssocChangeState::Restart => {
                let restarted = sac.sac_state == AssocChangeState::Restart;
                assoc.set_state(
                    if restarted {
                        AssocState::Restarted
                    } else {
                        AssocState::Up
                    },
                    now,
                );
                assoc.inbound_streams = sac.sac_inbound_streams;
                assoc.outbound_streams = sac.sac_outbound_streams;
                assoc.features = sac.sac_info(layout).features(layout).collect();
                assoc.close_reason = None;
                AssocEvent::Up {
                    assoc_id,
                    inbound_streams: sac.sac_inbound_streams,
                    outbound_streams: sac.sac_outbound_streams,
                    restarted,
                }
            }
            AssocChangeState::ShutdownComp => {
                closed(assoc, AssocState::ShutDown, CloseReason::ShutdownComplete)
            }
            AssocChangeState::CommLost => closed(
                assoc,
                AssocState::Lost,
                CloseReason::Lost {
                    error: sac.sac_error,
                    info: sac.sac_info.to_vec(),
                },
            ),
            AssocChangeState::CantStrAssoc => closed(
                assoc,
                AssocState::CantStart,
                CloseReason::CantStart {
                    error: sac.sac_error,
                },
            ),
            AssocChangeState::Unknown(_) => return,
        };
        self.push(event);
    }

    fn send_failed(
        &mut self,
        now: Instant,
        assoc_id: u32,
        info: SndInfo,
        error: u32,
        flags: SendFailedFlags,
        data: &[u8],
    ) {
        let Some(assoc) = self.entry(now, assoc_id) else {
            return;
        };
        assoc.send_failures = assoc.send_failures.saturating_add(1);
        assoc.sender_dry = false;
        self.push(AssocEvent::SendFailed {
            assoc_id,
            failed: FailedSend {
                info,
                error,
                was_sent: flags == SendFailedFlags::DataSent,
                data: data.to_vec(),
            },
        });
    }

    /// The record for `assoc_id`, created if new; `None` (and an `Untracked` event) when
    /// [`MAX_ASSOCIATIONS`] are open.
    fn entry(&mut self, now: Instant, assoc_id: u32) -> Option<&mut Association> {
        if !self.associations.contains_key(&assoc_id) && self.associations.len() >= MAX_ASSOCIATIONS
        {
            let oldest_closed = self
                .associations
                .values()
                .filter(|a| a.state.is_closed())
                .min_by_key(|a| a.since)
                .map(|a| a.assoc_id);
            match oldest_closed {
                Some(id) => {
                    self.associations.remove(&id);
                }
                None => {
                    self.push(AssocEvent::Untracked { assoc_id });
                    return None;
                }
            }
        }
        Some(
            self.associations
                .entry(assoc_id)
                .or_insert_with(|| Association::new(assoc_id, now)),
        )
    }

    fn push(&mut self, event: AssocEvent) {
        if self.events.len() >= MAX_EVENTS {
            self.events.pop_front();
            self.dropped_events = self.dropped_events.saturating_add(1);
        }
        self.events.push_back(event);
    }
}
