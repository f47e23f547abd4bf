//! `RandomTargetReach`: MotorNet's tutorial task.

use super::{BuiltinTask, Task, Trial, TrialContext};
use crate::registry::{Param, Registered};
use crate::TaskError;
use rand::rngs::StdRng;
use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde::Serialize;

/// Random start and random target anywhere in the reachable workspace (MotorNet's
/// `RandomTargetReach`); the goal is the target from the first step.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct RandomTargetReach;

impl Task for RandomTargetReach {
    fn name(&self) -> &str {
        Self::NAME
    }
    fn trial(&self, ctx: &TrialContext, rng: &mut StdRng) -> Result<Trial, TaskError> {
        // MotorNet's order: the initial state first, then the target
        let initial_joint = ctx.initial_or_random(rng);
        let target = ctx.random_target(rng);
        Ok(Trial {
            initial_joint,
            target,
            go_cue: Some(0),
            endpoint_load: vec![],
        })
    }
}

impl BuiltinTask for RandomTargetReach {
    const DOC: &'static str = "Random start and random target anywhere in the reachable \
        workspace (MotorNet's `RandomTargetReach`); the goal is the target from the first step.";
    const PARAMS: &'static [Param] = &[];
    fn defaults() -> Self {
        Self
    }
}

/// Accepts a unit (`null`) or a map without fields (the config `{"name": "RandomTargetReach"}`),
/// and names any field given, as the other tasks do.
impl<'de> Deserialize<'de> for RandomTargetReach {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NoFields;
        impl<'de> Visitor<'de> for NoFields {
            type Value = RandomTargetReach;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("RandomTargetReach without settings")
            }
            fn visit_unit<E: de::Error>(self) -> Result<RandomTargetReach, E> {
                Ok(RandomTargetReach)
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<RandomTargetReach, A::Error> {
                match map.next_key::<String>()? {
                    Some(field) => Err(de::Error::unknown_field(&field, &[])),
                    None => Ok(RandomTargetReach),
                }
            }
        }
        deserializer.deserialize_struct("RandomTargetReach", &[], NoFields)
    }
}
