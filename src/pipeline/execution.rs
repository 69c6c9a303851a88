//! Running one synthesized answer: the guard, the executor with quick
//! retries of transient database errors, the Parquet writer, and what a
//! failure means (final, repairable by other SQL, or transient for the job).

use super::*;

impl Pipeline {
    /// Guards and runs one answer, writing its Parquet file; transient
    /// database errors are retried here.
    pub(super) async fn run_answer(
        &self,
        work: &Work<'_>,
        answer: &SqlAnswer,
        context: &GroupContext,
        run: &JobRun<'_>,
    ) -> Result<Written, Rejection> {
        let started = Instant::now();
        let guarded = context.guard.check(&answer.sql);
        observe_stage("guard", started);
        let guarded = guarded.map_err(|e| Rejection {
            message: format!("guard: {}", e.reason),
            repairable: true,
            transient: false,
        })?;
        let interpretation = Interpretation::new(answer.restatement.as_deref(), &guarded.uses);

        let _writer = run.writers.acquire().await.expect("the job's semaphore is never closed");
        let question = work.question;
        let file_name = format!("{}.parquet", question.id);
        let max_retries = self.settings.exec.max_retries;
        let mut attempt = 0;
        loop {
            let started = Instant::now();
            let (batches, writer) = spawn_parquet_writer(run.output.answer(&file_name));
            // The query streams in its own task: polling it inside the question's
            // span would enter and exit the span for every row.
            let executor = self.executor.clone();
            let (source, sql) = (context.source.clone(), guarded.clone());
            let result = tokio::spawn(async move { executor.run(&source, &sql, &batches).await })
                .await
                .unwrap_or_else(|panic| Err(ExecError::Internal(format!("the query task stopped: {panic}"))));
            observe_stage("execution", started);
            match result {
                Ok(summary) => {
                    let elapsed_ms = work.started.elapsed().as_millis() as u64;
                    let metadata = footer_metadata(question, answer, summary.truncated, elapsed_ms);
                    let started = Instant::now();
                    let written = writer.commit(metadata).await;
                    observe_stage("write", started);
                    return match written {
                        Ok(written) => Ok(Written {
                            interpretation,
                            rows: written.rows,
                            truncated: summary.truncated,
                            columns: column_records(&summary.schema),
                            file: file_name,
                        }),
                        Err(e) => Err(Rejection {
                            message: format!("write: {e}"),
                            repairable: false,
                            transient: e.is_transient(),
                        }),
                    };
                }
                Err(e) => {
                    // A writer that failed first (disk full, store down) stopped the
                    // query by closing its channel; its own error is the cause.
                    let sink_failure =
                        writer.abort().await.filter(|_| matches!(e, ExecError::Stream(StreamError::SinkClosed)));
                    if let Some(failure) = sink_failure {
                        return Err(Rejection {
                            message: format!("write: {failure}"),
                            repairable: false,
                            transient: failure.is_transient(),
                        });
                    }
                    if e.is_transient() && attempt < max_retries {
                        let delay = retry_delay(attempt);
                        work.span.in_scope(|| {
                            warn!(attempt, delay_ms = delay.as_millis() as u64, error = %e.public_message(),
                                  "transient error; retrying")
                        });
                        tokio::time::sleep(delay).await;
                        attempt += 1;
                        continue;
                    }
                    let transient = e.is_transient();
                    return Err(Rejection {
                        message: execution_error(&e),
                        repairable: repairable(&e) && !transient,
                        transient,
                    });
                }
            }
        }
    }
}

fn execution_error(e: &ExecError) -> String {
    format!("execution: {}", e.public_message())
}

/// Errors that different SQL may avoid: the database rejected or could not
/// finish the query, or a result column has no Arrow mapping. Connection,
/// sink and internal faults are not the SQL's doing.
fn repairable(e: &ExecError) -> bool {
    matches!(
        e,
        ExecError::Timeout { .. }
            | ExecError::Stream(
                StreamError::Database(_) | StreamError::Unsupported { .. } | StreamError::TooLarge { .. }
            )
    )
}
