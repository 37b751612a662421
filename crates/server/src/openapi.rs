//! The OpenAPI 3 document, generated from the handlers' annotations and the types they exchange.

use utoipa::OpenApi;

use crate::{
    api, auth, chains, challenge_extras, challenges, claims, conversion, credit, engagements,
    error, nda, platforms, search_api, tiers,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Shuanglian 双链 API",
        description = "Registry, search and matching of Chongqing's innovation and industrial chains. \
                       Sign in with POST /api/v1/auth/login and send `Authorization: Bearer <token>`; \
                       errors are `{ \"error\": { \"code\", \"message\" } }`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    paths(
        auth::login, auth::logout, auth::me,
        search_api::search, api::match_need, api::status,
        api::list_outcomes, api::get_outcome, api::create_outcome, api::outcome_adopters,
        api::list_demands, api::get_demand, api::create_demand, api::update_demand, api::demand_matches,
        api::list_organizations, api::get_organization, api::list_experts, api::get_expert,
        chains::list_chains, chains::cluster_gaps, chains::node_fillers, chains::put_override,
        tiers::evaluate, tiers::funnel, tiers::funnel_members, tiers::get_profile, tiers::put_profiles, tiers::put_assessor,
        credit::score, credit::evaluations, credit::evaluation, credit::simulate,
        claims::file_claim, claims::list_claims, claims::decide_claim,
        engagements::open, engagements::list, engagements::show, engagements::transition,
        engagements::sign_nda, engagements::assign_broker, engagements::propose_brokers,
        engagements::stalled, engagements::losses, engagements::inbox, engagements::mark_read,
        engagements::contracts, engagements::broker_performance, engagements::put_broker,
        engagements::put_webhook, nda::signatures, nda::revoke_signature,
        engagements::put_contact, nda::put_nda_text,
        challenges::list, challenges::list_scenarios, challenges::create, challenges::create_scenario,
        challenges::show, challenges::show_scenario, challenges::edit, challenges::transition,
        challenges::apply, challenges::edit_application, challenges::withdraw, challenges::confirm,
        challenges::score, challenges::assign_reviewer, challenges::remove_reviewer, challenges::recuse, challenges::object,
        challenges::resolve, challenges::set_milestones, challenges::report, challenges::decide,
        challenges::market, challenge_extras::add_evidence, challenge_extras::evidence, challenge_extras::candidates,
        challenge_extras::invite,
        platforms::search, platforms::show, platforms::edit, platforms::save_equipment, platforms::slots,
        platforms::book, platforms::mine, platforms::show_booking, platforms::transition,
        platforms::utilisation, platforms::queue,
        conversion::seeds, conversion::select, conversion::applications, conversion::send, conversion::decide,
        conversion::filings, conversion::add_filing, conversion::filing, conversion::move_filing,
        conversion::grant_times, conversion::path,
    ),
    components(schemas(
        error::ErrorBody, error::ErrorDetail, auth::LoginRequest, auth::LoginResponse, auth::UserView,
        crate::access::Role, api::Page, api::RecordView, api::AnswerView, api::NewDemand, api::DemandEdit,
        api::MatchRequest, api::MatchFilters, search_api::SearchHit, search_api::SearchPage, api::StatusView,
        api::EmbeddingView, chains::ChainsView, chains::ClusterSummary, chains::ClusterGapsView,
        chains::NodeFillersView, chains::OverrideRequest, chains::KeyTechnology,
        tiers::EvaluateRequest, tiers::EvaluateResponse, tiers::ProfileView, tiers::ProfilesRequest,
        tiers::ProfilesStored, tiers::AssessorRequest, credit::ScoreRequest, credit::ScoreResponse, credit::EvaluationsResponse,
        credit::EvaluationResponse, credit::SimulateRequest, claims::ClaimRequest, claims::ClaimFiled,
        claims::ClaimView, claims::ClaimList, claims::ClaimDecision, engine::tiers::Funnel, engine::tiers::FunnelRow, engine::tiers::TierCounts, engine::tiers::FunnelMember, tiers::MembersResponse,
        engine::engagements::OpenRequest, engine::engagements::ItemRef, engine::engagements::TransitionRequest,
        engine::engagements::ContractInput, engine::engagements::PlacementInput, engine::engagements::EvaluationInput,
        engine::engagements::ReportInput, engine::engagements::EngagementView, engine::engagements::EngagementSummary,
        engine::engagements::DemandFace, engine::engagements::ItemFace, engine::engagements::OrgFace,
        engine::engagements::ContactFace, engine::engagements::NdaState, engine::engagements::EventFace,
        engine::engagements::ContractFace, engine::engagements::NoticeFace, engine::engagements::BrokerProposal,
        engine::engagements::BrokerPerformance, engine::engagements::StageDays, engine::engagements::Stalled,
        engine::engagements::LossReasons, engagements::EngagementList, engagements::SignRequest,
        engagements::BrokerRequest, engagements::BrokerProposals, engagements::StalledList, engagements::Inbox,
        engagements::ReadRequest, engagements::ReadDone, engagements::ContractList, engagements::BrokerProfile,
        engagements::WebhookRequest, nda::SignatureView, nda::SignatureList,
        engagements::ContactRequest, nda::NdaTextRequest, nda::NdaTextView,
        engine::challenges::ChallengeInput, engine::challenges::Detail, engine::challenges::TargetMetric,
        engine::challenges::ChallengeView, engine::challenges::ChallengeSummary, engine::challenges::ApplicationFace,
        engine::challenges::MemberFace, engine::challenges::ReviewerFace, engine::challenges::StandingFace,
        engine::challenges::FeedbackFace, engine::challenges::CriterionMean, engine::challenges::ObjectionFace,
        engine::challenges::MilestoneFace, engine::challenges::EvidenceFace, engine::challenges::MarketFace,
        engine::challenges::TimelineFace, engine::challenges::SheetFace, engine::challenges::InvitationFace,
        engine::challenges::MoveRequest, engine::challenges::AcceptanceInput, engine::challenges::Measurement,
        engine::challenges::ApplicationInput, engine::challenges::TeamMember, engine::challenges::BudgetLine,
        engine::challenges::ScoreInput, engine::challenges::ObjectionInput, engine::challenges::ResolveInput,
        engine::challenges::MilestoneInput, engine::challenges::MilestoneItem,
        challenges::ChallengeList, challenges::VersionRequest, challenges::ReviewerRequest,
        challenges::RecusalRequest, challenges::ReportRequest, challenges::DecisionRequest,
        challenges::MarketRequest,
        platforms::PlatformList, platforms::TakenBody, platforms::TakenPeriod, platforms::BookingList,
        engine::pilot::PlatformHit, engine::pilot::EquipmentMatch, engine::pilot::PlatformFace,
        engine::pilot::PlatformDetail, engine::pilot::Fee, engine::pilot::Contact, engine::pilot::TrackRecord,
        engine::pilot::PlatformInput, engine::pilot::EquipmentInput, engine::pilot::ParamInput,
        engine::pilot::EquipmentFace, engine::pilot::ParamFace,
        engine::pilot::booking::BookingInput, engine::pilot::booking::BookingMoveInput,
        engine::pilot::booking::BookingFace, engine::pilot::booking::Slots, engine::pilot::booking::CalendarDay,
        engine::pilot::booking::TakenPeriod, engine::pilot::booking::UtilisationFace,
        engine::pilot::booking::EquipmentUse,
        conversion::SeedList, conversion::SelectionRequest, conversion::ApplicationList, conversion::FilingList,
        conversion::GrantTimesView,
        engine::pilot::seeds::SeedFace, engine::pilot::seeds::SeedPart, engine::pilot::seeds::PullNeed,
        engine::pilot::applications::PocApplicationFace, engine::pilot::applications::PocApplicationInput,
        engine::pilot::applications::PocDecisionInput, engine::pilot::filings::FilingFace,
        engine::pilot::filings::FilingInput, engine::pilot::filings::FilingMoveInput,
        engine::pilot::filings::GrantTimes, engine::pilot::path::PathFace,
    )),
    tags(
        (name = "auth", description = "Sign-in and sessions"),
        (name = "registry", description = "Outcomes, demands, organizations, experts"),
        (name = "search", description = "Lexical search"),
        (name = "matching", description = "Need → solutions, outcome → adopters"),
        (name = "platform", description = "Counts and background work"),
        (name = "chains", description = "Industrial-chain map: gaps, key technologies, gap-fillers"),
        (name = "tiers", description = "Enterprise tiers (梯度培育): profiles, evaluation, funnel"),
        (name = "credit", description = "Tech credit (知识价值信用): scores, stored evaluations, risk-sharing simulation"),
        (name = "engagements", description = "From match to contract (对接): engagements, NDA, brokers, inbox, technology contracts"),
        (name = "challenges", description = "揭榜挂帅 challenges and open application scenarios: post, apply, review, notice, milestones, acceptance, market grade"),
        (name = "platforms", description = "Pilot platforms and PoC centres (中试平台供需资源库): capability search, equipment calendars and bookings, utilisation"),
    )
)]
pub struct ApiDoc;

/// `GET /api/v1/openapi.json`.
pub async fn document() -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json(ApiDoc::openapi())
}
