//! `define_kinds!`: the one list every event kind is declared in.
//!
//! From one entry the macro produces the attribute struct, its `EventKind` variant, its
//! `KindId`, its catalogue entry ([`KindInfo`](super::KindInfo), read by the generated
//! `docs/events.md`), and the `on_<name>` registration methods of
//! [`EventHub`](super::EventHub), [`HubBuilder`](super::HubBuilder) and
//! [`Registrar`](super::Registrar). So the code, the
//! registration API and the documentation cannot disagree.

macro_rules! define_kinds {
    ($(
        $(#[doc = $doc:literal])+
        $name:literal => $Kind:ident, $on:ident {
            category: $category:ident,
            severity: $severity:ident,
            delivery: $delivery:ident,
            reply: $Reply:ty,
            attributes: {
                $( $(#[doc = $attr_doc:literal])+ $field:ident : $Ty:ty ),* $(,)?
            }
        }
    )*) => {
        $(
            $(#[doc = $doc])+
            #[doc = ""]
            #[doc = concat!("Kind name `", $name, "`, registered with `", stringify!($on), "`.")]
            #[derive(Debug, Clone, PartialEq, Eq)]
            pub struct $Kind {
                $( $(#[doc = $attr_doc])+ pub $field: $Ty, )*
            }

            impl $crate::events::kind::sealed::Sealed for $Kind {}

            impl $crate::events::Kind for $Kind {
                const ID: KindId = KindId::$Kind;
                type Reply = $Reply;

                fn from_kind(kind: &EventKind) -> Option<&Self> {
                    match kind {
                        EventKind::$Kind(attributes) => Some(attributes),
                        #[allow(unreachable_patterns)]
                        _ => None,
                    }
                }
            }

            impl From<$Kind> for EventKind {
                fn from(attributes: $Kind) -> Self {
                    EventKind::$Kind(attributes)
                }
            }
        )*

        /// What happened, with the kind's own typed attributes.
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum EventKind {
            $( $(#[doc = $doc])+ $Kind($Kind), )*
        }

        impl EventKind {
            /// The kind's identifier.
            #[must_use]
            pub fn id(&self) -> KindId {
                match self {
                    $( EventKind::$Kind(_) => KindId::$Kind, )*
                }
            }

            /// The stable name, such as `"listen_success"`.
            #[must_use]
            pub fn name(&self) -> &'static str {
                self.id().info().name
            }

            /// The category the kind belongs to.
            #[must_use]
            pub fn category(&self) -> $crate::events::Category {
                self.id().info().category
            }

            /// The kind's default severity.
            #[must_use]
            pub fn default_severity(&self) -> $crate::events::Severity {
                self.id().info().severity
            }

            /// An English sentence describing the event, fit to show a user.
            #[must_use]
            pub fn describe(&self) -> String {
                match self {
                    $( EventKind::$Kind(attributes) => {
                        $crate::events::Describe::describe(attributes)
                    } )*
                }
            }
        }

        /// Identifies an event kind without its attributes.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum KindId {
            $( $(#[doc = $doc])+ $Kind, )*
        }

        impl KindId {
            /// Every kind, in catalogue order.
            pub const ALL: &'static [KindId] = &[ $( KindId::$Kind, )* ];

            /// The kind's catalogue entry.
            #[must_use]
            pub fn info(self) -> &'static $crate::events::KindInfo {
                match self {
                    $( KindId::$Kind => {
                        static INFO: $crate::events::KindInfo = $crate::events::KindInfo {
                            name: $name,
                            type_name: stringify!($Kind),
                            summary: concat!($($doc, "\n"),+),
                            category: $crate::events::Category::$category,
                            severity: $crate::events::Severity::$severity,
                            delivery: $crate::events::Delivery::$delivery,
                            decides: <$Reply as $crate::events::Reply>::DECIDES,
                            register_with: stringify!($on),
                            attributes: &[ $( $crate::events::AttributeInfo {
                                name: stringify!($field),
                                ty: stringify!($Ty),
                                doc: concat!($($attr_doc, "\n"),+),
                            }, )* ],
                        };
                        &INFO
                    } )*
                }
            }

            /// The stable name, such as `"listen_success"`.
            #[must_use]
            pub fn name(self) -> &'static str {
                self.info().name
            }

            /// Index of the kind in [`KindId::ALL`].
            #[must_use]
            pub fn index(self) -> usize {
                self as usize
            }
        }

        impl $crate::events::HubBuilder {
            $(
                #[doc = concat!("Registers `f` for every `", $name, "` event.")]
                pub fn $on<R, F>(self, f: F) -> Self
                where
                    R: Into<$Reply>,
                    F: FnMut(&$crate::events::Event, &$Kind) -> R + Send + 'static,
                {
                    self.on::<$Kind, R, F>(f)
                }
            )*
        }

        impl $crate::events::Registrar {
            $(
                #[doc = concat!("Queues `f` for every `", $name, "` event.")]
                pub fn $on<R, F>(&self, f: F) -> $crate::events::HubListenerId
                where
                    R: Into<$Reply>,
                    F: FnMut(&$crate::events::Event, &$Kind) -> R + Send + 'static,
                {
                    self.on::<$Kind, R, F>(f)
                }
            )*
        }

        impl $crate::events::EventHub {
            $(
                #[doc = concat!("Registers `f` for every `", $name, "` event.")]
                pub fn $on<R, F>(&mut self, f: F) -> $crate::events::HubListenerId
                where
                    R: Into<$Reply>,
                    F: FnMut(&$crate::events::Event, &$Kind) -> R + Send + 'static,
                {
                    self.on::<$Kind, R, F>(f)
                }
            )*
        }
    };
}
