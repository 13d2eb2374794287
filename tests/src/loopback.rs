//! An axum app served on 127.0.0.1 from its own thread and runtime, so a
//! test's runtime (or a blocking test) never starves the server. Stops and
//! joins the thread when dropped.

use std::thread::JoinHandle;

use axum::Router;

/// A running loopback server.
pub struct LoopbackServer {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl LoopbackServer {
    /// Builds the app with `app` inside the server's runtime and serves it
    /// on a free port.
    pub fn start(app: impl FnOnce() -> Router + Send + 'static) -> Self {
        let (url_tx, url_rx) = std::sync::mpsc::channel();
        let (shutdown, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("loopback server runtime");
            runtime.block_on(async move {
                let app = app();
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind");
                let addr = listener.local_addr().expect("addr");
                url_tx.send(format!("http://{addr}")).expect("send url");
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = shutdown_rx.await;
                    })
                    .await;
            });
        });
        let url = url_rx.recv().expect("loopback server did not start");
        Self {
            url,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }
}

impl Drop for LoopbackServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
