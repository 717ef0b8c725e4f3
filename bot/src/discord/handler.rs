//! The gateway's events. Each handler only checks (owner, rate limit, queue room, attachment
//! type and size), stores and enqueues; inference runs in the queue's workers, so the gateway
//! loop never waits on it. A photo in a watched channel opens a thread on its message; text and
//! buttons in a thread the bot started are its owner's requests; messages in other threads are
//! ignored; `/edit` with an attached photo starts a conversation as a posted photo does;
//! `forget me` and `/forget` delete the user's data.

use super::queue::{Job, RateLimiter, Scheduler};
use super::replies::{self, Button};
use super::{owner_key, Data};
use serenity::all::{
    Attachment, ChannelId, Command, CommandInteraction, CommandOptionType, ComponentInteraction,
    Context, CreateAllowedMentions, CreateCommand, CreateCommandOption, CreateInteractionResponse,
    CreateInteractionResponseMessage, CreateMessage, CreateThread, EditInteractionResponse,
    EventHandler, Http, Interaction, Message, MessageId, RatelimitInfo, Ready, ResolvedValue, User,
    UserId,
};
use sql::DiscordThread;
use std::sync::Arc;

/// The serenity event handler: a thin shell over [`Data`].
pub struct Handler {
    data: Arc<Data>,
}

impl Handler {
    pub fn new(data: Arc<Data>) -> Self {
        Handler { data }
    }
}

/// Whether an attachment is an image the engine reads, and small enough; the user-facing
/// reason when not. Checked from Discord's metadata, before any download.
pub fn check_attachment(attachment: &Attachment, max_bytes: u64) -> Result<(), String> {
    let kind = attachment
        .content_type
        .as_deref()
        .unwrap_or("")
        .to_ascii_lowercase();
    let name = attachment.filename.to_ascii_lowercase();
    let by_name = [".png", ".jpg", ".jpeg"].iter().any(|e| name.ends_with(e));
    let image = match kind.split(';').next().unwrap_or("").trim() {
        "image/png" | "image/jpeg" | "image/jpg" => true,
        "" => by_name,
        _ => false,
    };
    if !image {
        return Err(format!(
            "`{}` isn't a photo I can read. Send a PNG or JPEG picture of a face to start.",
            attachment.filename
        ));
    }
    if attachment.size as u64 > max_bytes {
        return Err(format!(
            "`{}` is {:.1} MB; I take photos up to {:.0} MB. Send a smaller one.",
            attachment.filename,
            attachment.size as f64 / 1e6,
            max_bytes as f64 / 1e6
        ));
    }
    Ok(())
}

/// The attachment's URL, on the test host when `api_base` is set.
fn download_url(url: &str, api_base: Option<&str>) -> String {
    match api_base {
        Some(base) => {
            let path = url
                .split_once("://")
                .map(|(_, rest)| rest.find('/').map_or("/", |i| &rest[i..]))
                .unwrap_or(url);
            format!("{base}{path}")
        }
        None => url.to_string(),
    }
}

/// Downloads an attachment, refusing more than `max_bytes` while it streams.
async fn download(data: &Data, attachment: &Attachment) -> Result<Vec<u8>, String> {
    let max = data.config.limits.max_upload_bytes;
    let url = download_url(&attachment.url, data.config.api_base.as_deref());
    let sorry = |why: &str| {
        format!(
            "I couldn't download `{}` ({why}); please send it again.",
            attachment.filename
        )
    };
    let mut response = data
        .downloads
        .get(&url)
        .send()
        .await
        .map_err(|e| sorry(&e.without_url().to_string()))?;
    if !response.status().is_success() {
        return Err(sorry(&format!("the server said {}", response.status())));
    }
    if response.content_length().is_some_and(|n| n > max) {
        return Err(format!(
            "`{}` is larger than {:.0} MB; send a smaller photo.",
            attachment.filename,
            max as f64 / 1e6
        ));
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| sorry(&e.without_url().to_string()))?
    {
        if (bytes.len() + chunk.len()) as u64 > max {
            return Err(format!(
                "`{}` is larger than {:.0} MB; send a smaller photo.",
                attachment.filename,
                max as f64 / 1e6
            ));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

async fn say(http: &Http, channel: ChannelId, text: &str) {
    if let Err(e) = channel
        .send_message(http, CreateMessage::new().content(text))
        .await
    {
        tracing::warn!("sending a message failed: {e}");
    }
}

async fn reply_to(http: &Http, message: &Message, text: &str) {
    if let Err(e) = message
        .channel_id
        .send_message(
            http,
            CreateMessage::new()
                .content(text)
                .reference_message(message),
        )
        .await
    {
        tracing::warn!("sending a reply failed: {e}");
    }
}

/// Deletes everything of `user` and the result messages posted for them; returns what to say.
pub async fn forget(data: &Data, http: &Http, user: UserId) -> anyhow::Result<String> {
    let user_id = user.get().to_string();
    let results = data.store.discord_results_of(&user_id).await?;
    let forgotten = data
        .store
        .forget_user(&user_id, &owner_key(&user_id))
        .await?;
    let mut removed = 0;
    for (thread, message) in results {
        if let (Ok(thread), Ok(message)) = (thread.parse::<u64>(), message.parse::<u64>()) {
            match ChannelId::new(thread)
                .delete_message(http, serenity::all::MessageId::new(message))
                .await
            {
                Ok(()) => removed += 1,
                Err(e) => tracing::warn!("deleting a result message failed: {e}"),
            }
        }
    }
    tracing::info!(
        conversations = forgotten.conversations,
        threads = forgotten.threads,
        "forgot a user"
    );
    Ok(format!(
        "Done: I deleted everything I kept about you: {} conversation(s) with their photos, face \
         codes and history, and {removed} result image(s) I had posted.",
        forgotten.conversations
    ))
}

fn is_forget_me(text: &str) -> bool {
    let t: String = text
        .trim()
        .trim_end_matches(['.', '!'])
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    t == "forget me" || t == "/forget"
}

/// Whether a request may be queued, checked before any download or reply: the attachment (if
/// any) is an image of the allowed size ([`check_attachment`]), the user is within the rate
/// limit and the queue has room. The error is the user-facing reason.
/// A refused attachment costs no request of the user's rate.
fn admit(data: &Data, user: UserId, attachment: Option<&Attachment>) -> Result<(), String> {
    admit_to(
        data.config.limits.max_upload_bytes,
        &data.rate,
        &data.queue,
        user,
        attachment,
    )
}

/// [`admit`] over its parts.
fn admit_to(
    max_upload_bytes: u64,
    rate: &RateLimiter,
    queue: &Scheduler,
    user: UserId,
    attachment: Option<&Attachment>,
) -> Result<(), String> {
    if let Some(attachment) = attachment {
        check_attachment(attachment, max_upload_bytes)?;
    }
    if let Err(wait) = rate.check(user.get()) {
        return Err(replies::rate_limited(rate.per_minute(), wait));
    }
    if !queue.has_room() {
        return Err(replies::QUEUE_FULL.into());
    }
    Ok(())
}

/// Stores a job, shows its status message in `thread` and queues it. Callers checked the room.
async fn submit(
    data: &Data,
    http: &Http,
    thread: ChannelId,
    user: UserId,
    order: u64,
    job: &Job,
) -> anyhow::Result<()> {
    let thread_id = thread.get().to_string();
    let id = data
        .store
        .enqueue_job(
            &thread_id,
            &user.get().to_string(),
            &serde_json::to_string(job)?,
        )
        .await?;
    // Placed first, so the status shows its real place in line; held until the status is
    // posted, so no worker starts it before.
    let Ok(position) = data.queue.push_held(id, &thread_id, order) else {
        data.store.finish_job(id).await?;
        thread
            .send_message(http, CreateMessage::new().content(replies::QUEUE_FULL))
            .await?;
        return Ok(());
    };
    let posted = async {
        let status = thread
            .send_message(
                http,
                CreateMessage::new().content(replies::queued(position)),
            )
            .await?;
        data.store
            .set_job_status_message(id, &status.id.get().to_string())
            .await?;
        anyhow::Ok(status.id)
    }
    .await;
    match posted {
        Ok(status) => {
            // From here on the queue's position updater keeps its place in line current.
            data.queue
                .set_status(id, thread.get(), status.get(), position);
            Ok(())
        }
        Err(e) => {
            data.queue.release(id);
            Err(e)
        }
    }
}

impl Handler {
    /// A photo in a watched channel: a thread on it, the photo stored, its job queued.
    async fn start_thread(
        &self,
        http: &Http,
        message: &Message,
        attachment: &Attachment,
    ) -> anyhow::Result<()> {
        let data = &self.data;
        if let Err(why) = admit(data, message.author.id, Some(attachment)) {
            reply_to(http, message, &why).await;
            return Ok(());
        }
        let photo = match download(data, attachment).await {
            Ok(bytes) => bytes,
            Err(why) => {
                reply_to(http, message, &why).await;
                return Ok(());
            }
        };
        self.open_conversation(
            http,
            message.channel_id,
            message.id,
            &message.author,
            &photo,
            message.id.get(),
        )
        .await
    }

    /// Opens a thread on `starter` (the photo's message, or the `/edit` command's response),
    /// stores the photo and queues its job: the flow both ways of starting share.
    async fn open_conversation(
        &self,
        http: &Http,
        channel: ChannelId,
        starter: MessageId,
        user: &User,
        photo: &[u8],
        order: u64,
    ) -> anyhow::Result<()> {
        let data = &self.data;
        let name: String = format!("Face edit with {}", user.name)
            .chars()
            .take(90)
            .collect();
        let thread = channel
            .create_thread_from_message(http, starter, CreateThread::new(name))
            .await?;
        data.store
            .insert_discord_thread(&DiscordThread {
                thread_id: thread.id.get().to_string(),
                owner_id: user.id.get().to_string(),
                channel_id: channel.get().to_string(),
                source_message_id: starter.get().to_string(),
            })
            .await?;
        data.store
            .set_discord_photo(&thread.id.get().to_string(), photo)
            .await?;
        submit(data, http, thread.id, user.id, order, &Job::Photo).await
    }

    /// A message in a thread the bot started.
    async fn in_thread(
        &self,
        http: &Http,
        message: &Message,
        thread: DiscordThread,
    ) -> anyhow::Result<()> {
        let data = &self.data;
        if message.author.id.get().to_string() != thread.owner_id {
            tracing::debug!("ignoring a message of another user in a bot thread");
            return Ok(());
        }
        let image = message
            .attachments
            .iter()
            .find(|a| check_attachment(a, u64::MAX).is_ok())
            .or(message.attachments.first());
        if image.is_none() && message.content.trim().is_empty() {
            return Ok(());
        }
        if let Err(why) = admit(data, message.author.id, image) {
            say(http, message.channel_id, &why).await;
            return Ok(());
        }
        let job = match image {
            Some(attachment) => {
                let photo = match download(data, attachment).await {
                    Ok(bytes) => bytes,
                    Err(why) => {
                        say(http, message.channel_id, &why).await;
                        return Ok(());
                    }
                };
                data.store
                    .set_discord_photo(&thread.thread_id, &photo)
                    .await?;
                Job::Photo
            }
            None => Job::Text {
                text: message.content.chars().take(500).collect(),
            },
        };
        submit(
            data,
            http,
            message.channel_id,
            message.author.id,
            message.id.get(),
            &job,
        )
        .await
    }

    async fn on_message(&self, ctx: &Context, message: &Message) -> anyhow::Result<()> {
        if message.author.bot {
            return Ok(());
        }
        let http = &ctx.http;
        if is_forget_me(&message.content) {
            let text = forget(&self.data, http, message.author.id).await?;
            say(http, message.channel_id, &text).await;
            return Ok(());
        }
        let channel = message.channel_id.get().to_string();
        if let Some(thread) = self.data.store.discord_thread(&channel).await? {
            return self.in_thread(http, message, thread).await;
        }
        if message.guild_id.is_none() || !self.data.config.watches(message.channel_id.get()) {
            return Ok(());
        }
        // Only a message with an attachment starts a conversation; other chat is left alone.
        match message.attachments.first() {
            Some(attachment) => self.start_thread(http, message, attachment).await,
            None => Ok(()),
        }
    }

    async fn respond(
        &self,
        http: &Http,
        interaction: &ComponentInteraction,
        text: &str,
    ) -> serenity::Result<()> {
        interaction
            .create_response(
                http,
                CreateInteractionResponse::Message(
                    CreateInteractionResponseMessage::new()
                        .content(text)
                        .ephemeral(true),
                ),
            )
            .await
    }

    async fn on_button(&self, http: &Http, press: &ComponentInteraction) -> anyhow::Result<()> {
        let data = &self.data;
        let Some(button) = Button::from_id(&press.data.custom_id) else {
            return Ok(());
        };
        let thread_id = press.channel_id.get().to_string();
        let Some(thread) = data.store.discord_thread(&thread_id).await? else {
            self.respond(
                http,
                press,
                "This conversation no longer exists (its data was deleted).",
            )
            .await?;
            return Ok(());
        };
        if press.user.id.get().to_string() != thread.owner_id {
            self.respond(http, press, replies::NOT_YOURS).await?;
            return Ok(());
        }
        if button == Button::Delete {
            press
                .create_response(http, CreateInteractionResponse::Acknowledge)
                .await?;
            press
                .channel_id
                .delete_message(http, press.message.id)
                .await?;
            data.store
                .remove_discord_result(&press.message.id.get().to_string())
                .await?;
            return Ok(());
        }
        if let Err(why) = admit(data, press.user.id, None) {
            self.respond(http, press, &why).await?;
            return Ok(());
        }
        // Acknowledged within Discord's deadline; the answer comes as a new result.
        press
            .create_response(http, CreateInteractionResponse::Acknowledge)
            .await?;
        submit(
            data,
            http,
            press.channel_id,
            press.user.id,
            press.id.get(),
            &Job::Button { button },
        )
        .await
    }

    async fn on_command(&self, http: &Http, command: &CommandInteraction) -> anyhow::Result<()> {
        match command.data.name.as_str() {
            "forget" => {
                let text = forget(&self.data, http, command.user.id).await?;
                command_note(http, command, &text).await?;
            }
            EDIT_COMMAND => self.on_edit_command(http, command).await?,
            _ => {}
        }
        Ok(())
    }

    /// `/edit photo:<attachment>`: checked, then deferred (Discord's 3-second deadline), the
    /// photo downloaded, the deferred response turned into a public "editing" message and the
    /// conversation opened on it exactly as for a posted photo.
    async fn on_edit_command(
        &self,
        http: &Http,
        command: &CommandInteraction,
    ) -> anyhow::Result<()> {
        let data = &self.data;
        let attachment = command
            .data
            .options()
            .into_iter()
            .find_map(|o| match o.value {
                ResolvedValue::Attachment(a) => Some(a.clone()),
                _ => None,
            });
        let Some(attachment) = attachment else {
            return command_note(http, command, replies::EDIT_NEEDS_PHOTO).await;
        };
        if command.guild_id.is_none() {
            return command_note(http, command, replies::EDIT_IN_A_SERVER).await;
        }
        let channel = command.channel_id.get();
        if data
            .store
            .discord_thread(&channel.to_string())
            .await?
            .is_some()
        {
            return command_note(http, command, replies::EDIT_NOT_IN_THREAD).await;
        }
        if !data.config.watches(channel) {
            return command_note(http, command, replies::EDIT_NOT_HERE).await;
        }
        if let Err(why) = admit(data, command.user.id, Some(&attachment)) {
            return command_note(http, command, &why).await;
        }
        // Public, since the thread opens on this response.
        command
            .create_response(
                http,
                CreateInteractionResponse::Defer(CreateInteractionResponseMessage::new()),
            )
            .await?;
        let photo = match download(data, &attachment).await {
            Ok(bytes) => bytes,
            Err(why) => {
                command
                    .edit_response(http, EditInteractionResponse::new().content(why))
                    .await?;
                return Ok(());
            }
        };
        let starter = command
            .edit_response(
                http,
                EditInteractionResponse::new()
                    .content(replies::edit_started(command.user.id))
                    // Names the user without pinging them.
                    .allowed_mentions(CreateAllowedMentions::new()),
            )
            .await?;
        self.open_conversation(
            http,
            command.channel_id,
            starter.id,
            &command.user,
            &photo,
            command.id.get(),
        )
        .await
    }
}

/// The name of the slash command that starts a conversation from an attached photo.
pub const EDIT_COMMAND: &str = "edit";

/// The slash commands the bot registers on ready: `/edit photo:<image>` and `/forget`.
pub fn commands() -> Vec<CreateCommand> {
    vec![
        CreateCommand::new(EDIT_COMMAND)
            .description("Edit the face in a photo by talking with me in a thread")
            .add_option(
                CreateCommandOption::new(
                    CommandOptionType::Attachment,
                    "photo",
                    "A PNG or JPEG photo with a face",
                )
                .required(true),
            ),
        CreateCommand::new("forget")
            .description("Delete your photos, faces and conversations from this bot"),
    ]
}

/// Answers a slash command with a note only its user sees.
async fn command_note(http: &Http, command: &CommandInteraction, text: &str) -> anyhow::Result<()> {
    command
        .create_response(
            http,
            CreateInteractionResponse::Message(
                CreateInteractionResponseMessage::new()
                    .content(text)
                    .ephemeral(true),
            ),
        )
        .await?;
    Ok(())
}

#[serenity::async_trait]
impl EventHandler for Handler {
    async fn ready(&self, ctx: Context, ready: Ready) {
        tracing::info!(bot = %ready.user.name, guilds = ready.guilds.len(), "connected to Discord");
        ctx.http.set_application_id(ready.application.id);
        if let Err(e) = Command::set_global_commands(&ctx.http, commands()).await {
            tracing::warn!("registering the slash commands failed: {e}");
        }
    }

    async fn ratelimit(&self, info: RatelimitInfo) {
        tracing::warn!(
            path = %info.path,
            global = info.global,
            "rate limited by Discord; waiting {:.2} s",
            info.timeout.as_secs_f64()
        );
    }

    async fn message(&self, ctx: Context, message: Message) {
        if let Err(e) = self.on_message(&ctx, &message).await {
            tracing::error!("handling a message failed: {e:#}");
            say(
                &ctx.http,
                message.channel_id,
                "Sorry, something went wrong on my side; please try again.",
            )
            .await;
        }
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        let result = match &interaction {
            Interaction::Component(press) => self.on_button(&ctx.http, press).await,
            Interaction::Command(command) => self.on_command(&ctx.http, command).await,
            _ => Ok(()),
        };
        if let Err(e) = result {
            tracing::error!("handling an interaction failed: {e:#}");
            if let Interaction::Command(command) = &interaction {
                // A deferred command would otherwise say "thinking" for ever.
                let sorry = EditInteractionResponse::new()
                    .content("Sorry, something went wrong on my side; please try again.");
                let _ = command.edit_response(&ctx.http, sorry).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attachment(name: &str, kind: Option<&str>, size: u32) -> Attachment {
        serde_json::from_value(serde_json::json!({
            "id": "1", "filename": name, "size": size, "url": "https://cdn.discordapp.com/a/b.png",
            "proxy_url": "https://media.discordapp.net/a/b.png", "content_type": kind,
        }))
        .unwrap()
    }

    #[test]
    fn attachments_are_checked_before_download() {
        assert!(check_attachment(&attachment("me.jpg", Some("image/jpeg"), 1000), 10_000).is_ok());
        assert!(check_attachment(&attachment("me.PNG", None, 1000), 10_000).is_ok());
        let why =
            check_attachment(&attachment("notes.txt", Some("text/plain"), 10), 10_000).unwrap_err();
        assert!(why.contains("PNG or JPEG"), "{why}");
        let why = check_attachment(
            &attachment("big.jpg", Some("image/jpeg"), 30_000_000),
            10_485_760,
        )
        .unwrap_err();
        assert!(why.contains("30.0 MB") && why.contains("10 MB"), "{why}");
        assert!(check_attachment(&attachment("a.gif", Some("image/gif"), 10), 10_000).is_err());
    }

    #[test]
    fn edit_takes_a_required_photo_and_forget_takes_nothing() {
        let sent = serde_json::to_value(commands()).unwrap();
        let edit = sent
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == EDIT_COMMAND)
            .unwrap();
        assert_eq!(edit["options"][0]["name"], "photo");
        assert_eq!(edit["options"][0]["type"], 11, "an attachment: {edit}");
        assert_eq!(edit["options"][0]["required"], true);
        assert!(sent
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "forget"));
    }

    #[test]
    fn requests_are_admitted_by_attachment_then_rate_then_room() {
        let (rate, queue) = (RateLimiter::new(2), Scheduler::new(1));
        let user = UserId::new(7);
        let photo = attachment("me.jpg", Some("image/jpeg"), 1000);
        let text = attachment("notes.txt", Some("text/plain"), 10);
        let why = admit_to(10_000, &rate, &queue, user, Some(&text)).unwrap_err();
        assert!(why.contains("notes.txt"), "{why}");
        // The refused attachment cost no request: two are still allowed.
        assert_eq!(admit_to(10_000, &rate, &queue, user, Some(&photo)), Ok(()));
        assert_eq!(admit_to(10_000, &rate, &queue, user, None), Ok(()));
        let why = admit_to(10_000, &rate, &queue, user, None).unwrap_err();
        assert!(why.contains("at most 2 requests a minute"), "{why}");
        // Another user is within the rate, but the queue is full.
        queue.push(1, "t", 1).unwrap();
        assert_eq!(
            admit_to(10_000, &rate, &queue, UserId::new(8), None),
            Err(replies::QUEUE_FULL.to_string())
        );
    }

    #[test]
    fn downloads_go_to_the_test_host_only_when_asked() {
        let url = "https://cdn.discordapp.com/attachments/1/2/me.png?ex=1";
        assert_eq!(download_url(url, None), url);
        assert_eq!(
            download_url(url, Some("http://127.0.0.1:9")),
            "http://127.0.0.1:9/attachments/1/2/me.png?ex=1"
        );
        assert!(is_forget_me("Forget me!"));
        assert!(is_forget_me("  forget   me "));
        assert!(!is_forget_me("don't forget me"));
    }
}
