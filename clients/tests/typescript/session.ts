// A session through the API with a TypeScript client generated from its own /openapi.json:
// openapi-typescript's types (api.ts, which the check generates beside this file) and
// openapi-fetch, whose methods take only the paths, parameters and bodies those types allow.
// Compiled with tsc --strict and run with node against the server at BLOG_URL, as a new user
// and as the server's user READER_USER. Requests send only what the API requires, leaving optional
// fields out, as a client may. Every answer is checked at run time against the generated type
// it claims to be (check.ts), and there is a check for each schema the document's answers use.

import createClient, { type Client } from "openapi-fetch";
import type { components, paths } from "./api.js";
import { type Check, bool, int, list, literal, nullable, object, optional, str } from "./check.js";

type Schemas = components["schemas"];

const author = object<Schemas["UserSummary"]>({ username: str });
const postOut = object<Schemas["PostOut"]>({
    id: int,
    title: str,
    body: str,
    author,
    tags: list(str),
    like_count: int,
    comment_count: int,
    liked_by_me: optional(bool),
    created_at: str,
    updated_at: str,
});
const postPage = object<Schemas["PostPage"]>({
    items: list(postOut),
    page: int,
    per_page: int,
    total: int,
    pages: int,
    next_cursor: nullable(str),
});
const commentOut: Check<Schemas["CommentOut"]> = object<Schemas["CommentOut"]>({
    id: int,
    body: str,
    author,
    parent_id: nullable(int),
    created_at: str,
    replies: (value, where) => list(commentOut)(value, where),
});
const commentPage = object<Schemas["CommentPage"]>({
    items: list(commentOut),
    page: int,
    per_page: int,
    total: int,
    pages: int,
});
const userOut = object<Schemas["UserOut"]>({ id: int, username: str, email: str, created_at: str });
const userPage = object<Schemas["UserPage"]>({
    items: list(author),
    page: int,
    per_page: int,
    total: int,
    pages: int,
});
const profileOut = object<Schemas["ProfileOut"]>({
    bio: nullable(str),
    website: nullable(str),
    avatar_url: nullable(str),
});
const userProfileOut = object<Schemas["UserProfileOut"]>({
    username: str,
    bio: nullable(str),
    website: nullable(str),
    avatar_url: nullable(str),
    created_at: str,
    post_count: int,
    follower_count: int,
    following_count: int,
});
const tagPage = object<Schemas["TagPage"]>({
    items: list(object<Schemas["TagOut"]>({ name: str, post_count: int })),
    page: int,
    per_page: int,
    total: int,
    pages: int,
});
const healthOut = object<Schemas["HealthOut"]>({ status: literal("ok") });
const tokenOut = object<Schemas["TokenOut"]>({
    access_token: str,
    token_type: literal("bearer"),
    expires_in: int,
});
const problem = object<Schemas["Problem"]>({
    type: str,
    title: str,
    status: int,
    detail: str,
    errors: optional(
        list(
            object<NonNullable<Schemas["Problem"]["errors"]>[number]>({
                pointer: optional(str),
                parameter: optional(str),
                detail: str,
            }),
        ),
    ),
});

function setting(name: string): string {
    const value = process.env[name];
    if (!value) {
        throw new Error(`${name} is not set`);
    }
    return value;
}

function expect(condition: boolean, what: string): void {
    if (!condition) {
        throw new Error(`not as expected: ${what}`);
    }
}

type Answer = { data?: unknown; error?: unknown; response: Response };

// The answer must have `status`; its body, checked against `check`, is returned.
function answered<T>(what: string, status: number, answer: Answer, check: Check<T>): T {
    const { response } = answer;
    expect(response.status === status, `${what} answers ${status}, not ${response.status}`);
    console.log(`${response.status} ${what}`);
    return check(response.ok ? answer.data : answer.error, what);
}

// The answer must be a 204, which openapi-fetch gives no data.
function noContent(what: string, answer: Answer): void {
    const status = answer.response.status;
    expect(status === 204 && answer.data === undefined, `${what} answers 204, not ${status}`);
    console.log(`${status} ${what}`);
}

function header(response: Response, name: string): string {
    const value = response.headers.get(name);
    expect(value !== null, `a ${name} header on ${response.url}`);
    return value ?? "";
}

const baseUrl = setting("BLOG_URL");
const anonymous = createClient<paths>({ baseUrl });

async function signIn(username: string, password: string): Promise<Client<paths>> {
    const answer = await anonymous.POST("/api/tokens", { body: { username, password } });
    const token = answered("POST /api/tokens", 200, answer, tokenOut);
    const headers = { Authorization: `Bearer ${token.access_token}` };
    return createClient<paths>({ baseUrl, headers });
}

answered("GET /healthz", 200, await anonymous.GET("/healthz"), healthOut);

// Sign up a writer; sign in as the writer and as the server's user, a reader.
const username = "typescript";
const password = "a-password-for-the-typescript-client";
const signedUp = await anonymous.POST("/api/users", {
    body: { username, email: `${username}@example.com`, password },
});
const account = answered("POST /api/users", 201, signedUp, userOut);
expect(account.username === username, "the new account has the name it was given");
const accountUrl = header(signedUp.response, "Location");
expect(accountUrl.endsWith(`/api/users/${username}`), "Location names the account");
const writer = await signIn(username, password);
const readerName = setting("READER_USER");
const reader = await signIn(readerName, setting("READER_PASSWORD"));
const me = answered("GET /api/users/me", 200, await writer.GET("/api/users/me"), userOut);
expect(me.id === account.id, "the signed-in user is the new account");
const profile = answered(
    "GET /api/users/me/profile",
    200,
    await writer.GET("/api/users/me/profile"),
    profileOut,
);
expect(profile.bio === null, "a new account's profile is empty");

// A post with its title and body only: no tags.
const created = await writer.POST("/api/posts", {
    body: { title: "Typed", body: "Written by a client generated with openapi-typescript." },
});
const post = answered("POST /api/posts", 201, created, postOut);
expect(post.tags.length === 0, "a post without tags");
expect(post.author.username === username, "the writer wrote it");
const postUrl = header(created.response, "Location");
expect(postUrl.endsWith(`/api/posts/${post.id}`), "Location names the post");
const path = { post_id: post.id };

// Read back anonymously: the same post, and no liked_by_me without a token.
const read = await anonymous.GET("/api/posts/{post_id}", { params: { path } });
const readPost = answered("GET /api/posts/{post_id}", 200, read, postOut);
expect(readPost.title === post.title, "the post as written");
expect(readPost.liked_by_me === undefined, "no liked_by_me without a token");
// The ETag is of the body each reader gets: the writer reads the one it was created with.
const own = await writer.GET("/api/posts/{post_id}", { params: { path } });
answered("GET /api/posts/{post_id}", 200, own, postOut);
const etag = header(created.response, "ETag");
expect(header(own.response, "ETag") === etag, "the ETag it was created with");
expect(header(read.response, "ETag") !== etag, "another ETag for another body");

// Listed: by its author, and on the first page of every post.
const mine = answered(
    "GET /api/posts?author=",
    200,
    await anonymous.GET("/api/posts", { params: { query: { author: username } } }),
    postPage,
);
expect(mine.items.map((item) => item.id).join() === `${post.id}`, "the author's only post");
const everyone = answered("GET /api/posts", 200, await anonymous.GET("/api/posts"), postPage);
expect(everyone.items.some((item) => item.id === post.id), "the newest post on the first page");

// Liked by the reader, who then reads it as liked.
noContent(
    "PUT /api/posts/{post_id}/like",
    await reader.PUT("/api/posts/{post_id}/like", { params: { path } }),
);
const liked = answered(
    "GET /api/posts/{post_id}",
    200,
    await reader.GET("/api/posts/{post_id}", { params: { path } }),
    postOut,
);
expect(liked.like_count === 1 && liked.liked_by_me === true, "one like, the reader's");

// A comment with its body only: no parent_id.
const comment = answered(
    "POST /api/posts/{post_id}/comments",
    201,
    await reader.POST("/api/posts/{post_id}/comments", {
        params: { path },
        body: { body: "Typed, and checked." },
    }),
    commentOut,
);
expect(comment.parent_id === null, "a top-level comment");
expect(comment.replies.length === 0, "a new comment has no replies");
const thread = answered(
    "GET /api/posts/{post_id}/comments",
    200,
    await anonymous.GET("/api/posts/{post_id}/comments", { params: { path } }),
    commentPage,
);
expect(thread.items.map((item) => item.id).join() === `${comment.id}`, "the post's only comment");

// Followed by the reader: counted, listed, and in the reader's feed.
const writerPath = { username };
noContent(
    "PUT /api/users/{username}/follow",
    await reader.PUT("/api/users/{username}/follow", { params: { path: writerPath } }),
);
const followers = answered(
    "GET /api/users/{username}/followers",
    200,
    await anonymous.GET("/api/users/{username}/followers", { params: { path: writerPath } }),
    userPage,
);
expect(followers.items.map((item) => item.username).join() === readerName, "one follower");
const shown = answered(
    "GET /api/users/{username}",
    200,
    await anonymous.GET("/api/users/{username}", { params: { path: writerPath } }),
    userProfileOut,
);
expect(shown.post_count === 1 && shown.follower_count === 1, "one post, one follower");
const feed = answered("GET /api/feed", 200, await reader.GET("/api/feed"), postPage);
expect(feed.items.some((item) => item.id === post.id), "the post in the follower's feed");
answered("GET /api/tags", 200, await anonymous.GET("/api/tags"), tagPage);

// Deleted with the ETag of the version read just before; a read is then a 404 problem.
const current = await writer.GET("/api/posts/{post_id}", { params: { path } });
answered("GET /api/posts/{post_id}", 200, current, postOut);
noContent(
    "DELETE /api/posts/{post_id}",
    await writer.DELETE("/api/posts/{post_id}", {
        params: { path, header: { "If-Match": header(current.response, "ETag") } },
    }),
);
const gone = answered(
    "GET /api/posts/{post_id}",
    404,
    await anonymous.GET("/api/posts/{post_id}", { params: { path } }),
    problem,
);
expect(gone.status === 404, "the problem's status is the answer's");
console.log("The session is done: every answer had its generated type.");
