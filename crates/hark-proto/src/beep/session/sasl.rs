//! SASL exchanges on a tuning channel (RFC 3080 section 4).

use bytes::Bytes;
use hark_wire::beep::channel0::{Channel0Message, Profile, Start};
use hark_wire::beep::header::FrameType;
use hark_wire::beep::tuning::{BlobStatus, SaslBlob, SaslMessage};

use super::super::channel::{Channel, OutMessage, ReplyRx};
use super::super::error::{SessionCloseReason, StartError};
use super::super::event::{Event, SaslStatus};
use super::super::sasl::{SaslClient, SaslServerFactory, SaslStep};
use super::mgmt::{MgmtRequest, encode_payload};
use super::{SASL_PROFILE_PREFIX, Session, State, Tuning};

/// A blob as the XML text piggybacked in a `profile` element.
fn blob_text(status: BlobStatus, data: Vec<u8>) -> String {
    let xml = SaslMessage::Blob(SaslBlob { status, data })
        .to_vec()
        .unwrap_or_default();
    // Piggybacked content carries no surrounding whitespace (hark-wire refuses it).
    String::from_utf8(xml).unwrap_or_default().trim().to_owned()
}

/// A blob as a payload on the SASL channel (beep+xml MIME header first).
fn blob_payload(msg: &SaslMessage) -> Bytes {
    encode_payload(&msg.to_vec().unwrap_or_default())
}

impl Session {
    /// Sets the factory of server mechanisms; the mechanisms in
    /// `SessionConfig::sasl_mechanisms` are offered in the greeting. Call it before the
    /// first `poll_transmit`, while the greeting can still name them.
    pub fn set_sasl_server(&mut self, factory: Box<dyn SaslServerFactory>) {
        self.sasl_factory = Some(factory);
        let greeting = super::mgmt::encode(&self.greeting());
        if self.config.refuse.is_none()
            && let Some(zero) = self.channels.get_mut(&0)
            && let Some(msg) = zero.current.as_mut()
            && msg.msgno == 0
            && msg.kind == FrameType::Rpy
            && msg.offset == 0
        {
            zero.queued = zero.queued - msg.payload.len() + greeting.len();
            msg.payload = greeting;
        }
    }

    /// Authenticates with `mechanism` (RFC 3080 4): a start on the mechanism's SASL
    /// profile with the initial response piggybacked. `Event::Sasl` reports the outcome.
    pub fn start_sasl(&mut self, mut mechanism: Box<dyn SaslClient>) -> Result<u32, StartError> {
        self.usable_for_requests()?;
        if self.sasl_identity.is_some() {
            return Err(StartError::AlreadyAuthenticated);
        }
        if self.tls_active && mechanism.security_layer() {
            return Err(StartError::TlsNotAllowed);
        }
        let channel = self.alloc_channel().ok_or(StartError::TooManyChannels)?;
        let uri = format!("{SASL_PROFILE_PREFIX}{}", mechanism.mechanism());
        let content = mechanism
            .initial_response()
            .map(|data| blob_text(BlobStatus::Continue, data));
        let profiles = vec![Profile {
            content,
            ..Profile::new(uri)
        }];
        let msgno = self.send_mgmt(
            Channel0Message::Start(Start {
                number: channel,
                server_name: mechanism.server_name().map(str::to_owned),
                profiles: profiles.clone(),
            }),
            MgmtRequest::Start { channel, profiles },
        );
        self.starting.insert(channel, msgno);
        self.tuning = Tuning::SaslClient { channel, mechanism };
        Ok(channel)
    }

    fn sasl_done(&mut self, channel: u32, mechanism: &str, status: SaslStatus, layer: bool) {
        if let SaslStatus::Complete { identity } = &status {
            self.sasl_identity = Some(identity.clone());
            self.sasl_layer = layer;
        }
        self.push_event(Event::Sasl {
            channel,
            mechanism: mechanism.to_owned(),
            status,
        });
    }

    /// Whether a start for `uri` is a SASL start we serve.
    pub(super) fn serves_sasl(&self, uri: &str) -> bool {
        uri.strip_prefix(SASL_PROFILE_PREFIX)
            .is_some_and(|m| self.config.sasl_mechanisms.iter().any(|x| x == m))
            && self.sasl_factory.is_some()
    }

    /// A start on a SASL profile we offer: run the first step at once.
    pub(super) fn on_sasl_start(
        &mut self,
        msgno: u32,
        number: u32,
        profile: Profile,
        server_name: Option<String>,
    ) {
        let name = profile.uri[SASL_PROFILE_PREFIX.len()..].to_owned();
        if self.sasl_identity.is_some() {
            return self.reply0_error(msgno, 550, "already authenticated");
        }
        if !matches!(self.tuning, Tuning::None) || self.state != State::Active {
            return self.reply0_error(msgno, 550, "tuning in progress");
        }
        let Some(mut mechanism) = self
            .sasl_factory
            .as_mut()
            .and_then(|f| f.server_named(&name, server_name.as_deref()))
        else {
            return self.reply0_error(msgno, 554, "mechanism not available");
        };
        if self.tls_active && mechanism.security_layer() {
            return self.reply0_error(msgno, 554, "a SASL security layer cannot go over TLS");
        }
        let initial = match profile
            .content
            .as_deref()
            .map(|c| SaslMessage::parse(c.as_bytes()))
        {
            None => None,
            Some(Ok(SaslMessage::Blob(blob))) if blob.status != BlobStatus::Abort => {
                Some(blob.data)
            }
            Some(_) => return self.reply0_error(msgno, 501, "bad SASL blob"),
        };
        let content = match initial.map(|data| mechanism.step(&data)) {
            None => mechanism
                .initial_challenge()
                .map(|data| blob_text(BlobStatus::Continue, data)),
            Some(SaslStep::Continue(data)) => Some(blob_text(BlobStatus::Continue, data)),
            Some(SaslStep::Complete { data, identity }) => {
                let layer = mechanism.security_layer();
                self.sasl_done(number, &name, SaslStatus::Complete { identity }, layer);
                Some(blob_text(BlobStatus::Complete, data))
            }
            Some(SaslStep::Failed(reason)) => {
                self.sasl_done(number, &name, SaslStatus::Failed { reason }, false);
                return self.reply0_error(msgno, 535, "authentication failure");
            }
        };
        let mut c = Channel::new(profile.uri.clone(), self.config.window);
        c.opening = Some(msgno);
        c.sasl = true;
        self.channels.insert(number, c);
        if self.sasl_identity.is_none() {
            self.tuning = Tuning::SaslServer {
                channel: number,
                mechanism,
            };
        }
        self.reply0(
            msgno,
            FrameType::Rpy,
            &Channel0Message::Profile(Profile {
                content,
                ..Profile::new(profile.uri)
            }),
        );
    }

    /// A complete MSG on a SASL channel we serve.
    pub(super) fn on_sasl_msg(&mut self, channel: u32, msgno: u32, payload: &[u8]) {
        let Tuning::SaslServer { channel: c, .. } = &self.tuning else {
            return self.reply_sasl_error(channel, msgno, 550, "no SASL exchange in progress");
        };
        if *c != channel {
            return self.reply_sasl_error(channel, msgno, 550, "no SASL exchange in progress");
        }
        let Tuning::SaslServer { mut mechanism, .. } =
            std::mem::replace(&mut self.tuning, Tuning::None)
        else {
            unreachable!("matched above");
        };
        let name = mechanism.mechanism().to_owned();
        let blob = match super::mgmt::decode_content(payload).map(|x| SaslMessage::parse(&x)) {
            Ok(Ok(SaslMessage::Blob(blob))) => blob,
            _ => {
                self.sasl_done(
                    channel,
                    &name,
                    SaslStatus::Failed {
                        reason: "bad SASL blob".into(),
                    },
                    false,
                );
                return self.reply_sasl_error(channel, msgno, 501, "bad SASL blob");
            }
        };
        if blob.status == BlobStatus::Abort {
            self.sasl_done(
                channel,
                &name,
                SaslStatus::Failed {
                    reason: "aborted by the client".into(),
                },
                false,
            );
            return self.reply_sasl(
                channel,
                msgno,
                FrameType::Rpy,
                &SaslMessage::Blob(SaslBlob {
                    status: BlobStatus::Abort,
                    data: Vec::new(),
                }),
            );
        }
        match mechanism.step(&blob.data) {
            SaslStep::Continue(data) => {
                self.tuning = Tuning::SaslServer { channel, mechanism };
                self.reply_sasl(
                    channel,
                    msgno,
                    FrameType::Rpy,
                    &SaslMessage::Blob(SaslBlob {
                        status: BlobStatus::Continue,
                        data,
                    }),
                );
            }
            SaslStep::Complete { data, identity } => {
                let layer = mechanism.security_layer();
                self.sasl_done(channel, &name, SaslStatus::Complete { identity }, layer);
                self.reply_sasl(
                    channel,
                    msgno,
                    FrameType::Rpy,
                    &SaslMessage::Blob(SaslBlob {
                        status: BlobStatus::Complete,
                        data,
                    }),
                );
            }
            SaslStep::Failed(reason) => {
                self.sasl_done(channel, &name, SaslStatus::Failed { reason }, false);
                self.reply_sasl_error(channel, msgno, 535, "authentication failure");
            }
        }
    }

    fn reply_sasl(&mut self, channel: u32, msgno: u32, kind: FrameType, msg: &SaslMessage) {
        let payload = blob_payload(msg);
        if let Some(c) = self.channels.get_mut(&channel)
            && let Some(slot) = c.awaiting.iter_mut().find(|s| s.msgno == msgno)
        {
            c.queued += payload.len();
            slot.parts.push_back(OutMessage::new(kind, msgno, payload));
            slot.answering = super::super::channel::Answering::Final;
        }
    }

    fn reply_sasl_error(&mut self, channel: u32, msgno: u32, code: u16, text: &str) {
        let e = hark_wire::beep::channel0::ErrorReply {
            code,
            lang: None,
            text: Some(text.to_owned()),
        };
        self.reply_sasl(channel, msgno, FrameType::Err, &SaslMessage::Error(e));
    }

    /// Our SASL start was answered with the profile (and maybe the server's first blob).
    pub(super) fn on_sasl_started(&mut self, channel: u32, uri: String, content: Option<String>) {
        let mut c = Channel::new(uri, self.config.window);
        c.sasl = true;
        self.channels.insert(channel, c);
        match content {
            Some(text) => self.on_server_blob(channel, text.as_bytes(), true),
            None => self.client_step(channel, Vec::new(), false),
        }
    }

    /// A blob (or error) from the server: on the profile reply or in an RPY/ERR.
    pub(super) fn on_server_blob(&mut self, channel: u32, xml: &[u8], ok: bool) {
        match SaslMessage::parse(xml) {
            Ok(SaslMessage::Blob(blob)) if ok && blob.status != BlobStatus::Abort => {
                self.client_step(channel, blob.data, blob.status == BlobStatus::Complete)
            }
            Ok(SaslMessage::Error(e)) => self.client_failed(
                channel,
                e.text.unwrap_or_else(|| format!("error {}", e.code)),
            ),
            _ => self.client_failed(channel, "the server aborted".into()),
        }
    }

    fn client_failed(&mut self, channel: u32, reason: String) {
        if let Tuning::SaslClient { mechanism, .. } =
            std::mem::replace(&mut self.tuning, Tuning::None)
        {
            let name = mechanism.mechanism().to_owned();
            self.sasl_done(channel, &name, SaslStatus::Failed { reason }, false);
        }
    }

    fn client_step(&mut self, channel: u32, data: Vec<u8>, complete: bool) {
        let Tuning::SaslClient { mut mechanism, .. } =
            std::mem::replace(&mut self.tuning, Tuning::None)
        else {
            return;
        };
        let name = mechanism.mechanism().to_owned();
        match mechanism.step(&data, complete) {
            SaslStep::Continue(resp) if !complete => {
                let payload = blob_payload(&SaslMessage::Blob(SaslBlob {
                    status: BlobStatus::Continue,
                    data: resp,
                }));
                if let Some(c) = self.channels.get_mut(&channel)
                    && let Some(msgno) = c.alloc_msgno()
                {
                    c.outstanding.insert(msgno, ReplyRx::default());
                    c.queued += payload.len();
                    c.msgs
                        .push_back(OutMessage::new(FrameType::Msg, msgno, payload));
                }
                self.tuning = Tuning::SaslClient { channel, mechanism };
            }
            SaslStep::Complete { identity, .. } if complete => {
                let layer = mechanism.security_layer();
                self.sasl_done(channel, &name, SaslStatus::Complete { identity }, layer);
            }
            SaslStep::Failed(reason) => self.client_step_failed(channel, &name, reason, complete),
            _ => self.client_step_failed(
                channel,
                &name,
                "the mechanism and the server disagree on completion".into(),
                complete,
            ),
        }
    }

    /// Our mechanism refused the server's step. Once the server has said `complete` it
    /// holds us authenticated, so a refusal there means the server failed to prove itself:
    /// the session ends (`SessionCloseReason::SaslServerUnverified`).
    fn client_step_failed(&mut self, channel: u32, name: &str, reason: String, complete: bool) {
        self.sasl_done(
            channel,
            name,
            SaslStatus::Failed {
                reason: reason.clone(),
            },
            false,
        );
        if complete {
            self.terminate(SessionCloseReason::SaslServerUnverified(reason));
        }
    }
}
