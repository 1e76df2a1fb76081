//! Calling a predicate closure once per row without copying the row.
//!
//! Rhai's own `filter` tries the closure with `this` bound first and, for a
//! `|p| ...` closure, fails and calls again with a deep copy of the row.
//! On 100,000 process rows that doubles the work and the memory. Here the
//! calling form is found on the first row and kept, and a row passed as an
//! argument is lent as a shared value and taken back whole afterwards.

use rhai::{Array, Dynamic, EvalAltResult, FnPtr, NativeCallContext, INT};

type Fallible<T> = Result<T, Box<EvalAltResult>>;

/// How the closure wants its row.
#[derive(Clone, Copy)]
enum Form {
    /// `|| this.x > 1`
    This,
    /// `|p| p.x > 1`
    Row,
    /// `|p, i| ...`
    RowAndIndex,
}

/// Calls `predicate` for every row and hands each row and the closure's
/// answer (as a bool) to `visit`.
pub(crate) fn for_each_answer(
    context: &NativeCallContext,
    rows: &mut Array,
    predicate: &FnPtr,
    mut visit: impl FnMut(&Dynamic, bool),
) -> Fallible<()> {
    let mut form = None;
    for (index, slot) in rows.iter_mut().enumerate() {
        let answer = match form {
            Some(known) => call(context, predicate, known, slot, index)?,
            None => {
                let (known, answer) = discover(context, predicate, slot, index)?;
                form = Some(known);
                answer
            }
        };
        visit(slot, answer.as_bool().unwrap_or(false));
    }
    Ok(())
}

/// Tries the forms in Rhai's order on the first row.
fn discover(
    context: &NativeCallContext,
    predicate: &FnPtr,
    slot: &mut Dynamic,
    index: usize,
) -> Fallible<(Form, Dynamic)> {
    for form in [Form::This, Form::Row, Form::RowAndIndex] {
        match call(context, predicate, form, slot, index) {
            Ok(answer) => return Ok((form, answer)),
            Err(error) if is_arity_mismatch(&error, predicate) => continue,
            Err(error) => return Err(error),
        }
    }
    call(context, predicate, Form::Row, slot, index).map(|answer| (Form::Row, answer))
}

fn is_arity_mismatch(error: &EvalAltResult, predicate: &FnPtr) -> bool {
    matches!(error, EvalAltResult::ErrorFunctionNotFound(signature, _)
        if signature.starts_with(predicate.fn_name()))
}

fn call(
    context: &NativeCallContext,
    predicate: &FnPtr,
    form: Form,
    slot: &mut Dynamic,
    index: usize,
) -> Fallible<Dynamic> {
    match form {
        Form::This => predicate.call_raw(context, Some(slot), []),
        Form::Row => lend(slot, |row| predicate.call_raw(context, None, [row])),
        Form::RowAndIndex => {
            let index = INT::try_from(index).unwrap_or(INT::MAX);
            lend(slot, |row| predicate.call_raw(context, None, [row, index.into()]))
        }
    }
}

/// Lends the row to `body` as a shared value and puts it back in `slot`;
/// when the closure kept no reference, nothing is copied.
fn lend(slot: &mut Dynamic, body: impl FnOnce(Dynamic) -> Fallible<Dynamic>) -> Fallible<Dynamic> {
    let shared = std::mem::take(slot).into_shared();
    let outcome = body(shared.clone());
    *slot = shared.flatten();
    outcome
}

#[cfg(test)]
mod tests {
    use rhai::{Engine, Map};

    use super::*;

    fn engine() -> Engine {
        let mut engine = Engine::new();
        engine.register_fn(
            "keep",
            |context: NativeCallContext, rows: &mut Array, predicate: FnPtr| -> Fallible<Array> {
                let mut kept = Array::new();
                for_each_answer(&context, rows, &predicate, |row, accepted| {
                    if accepted {
                        kept.push(row.clone());
                    }
                })?;
                Ok(kept)
            },
        );
        engine
    }

    #[test]
    fn every_closure_form_sees_the_row() {
        let engine = engine();
        let script = |body: &str| -> INT {
            let source =
                format!("let rows = [#{{n: 1}}, #{{n: 5}}, #{{n: 9}}]; rows.keep({body}).len()");
            engine.eval::<INT>(&source).unwrap()
        };
        assert_eq!(script("|p| p.n > 2"), 2);
        assert_eq!(script("|| this.n > 2"), 2);
        assert_eq!(script("|p, i| i > 0 && p.n > 6"), 1);
    }

    #[test]
    fn rows_come_back_unshared_and_intact() {
        let engine = engine();
        let rows: Array =
            engine.eval("let rows = [#{n: 1}, #{n: 5}]; rows.keep(|p| p.n > 2); rows").unwrap();
        assert_eq!(rows.len(), 2);
        assert!(rows.iter().all(|row| !row.is_shared()));
        assert_eq!(rows[1].clone().cast::<Map>()["n"].as_int().unwrap(), 5);
    }

    #[test]
    fn errors_inside_the_closure_surface() {
        let engine = engine();
        let result = engine.eval::<Array>("[#{n: 1}].keep(|p| p.n.nope())");
        assert!(result.is_err());
    }
}
