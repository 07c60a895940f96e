"""Word lists and relation tables for the rule extractor.

Why a closed inventory: open subject-verb-object extraction on chat produces
mostly noise ("I have a question", "I think that ..."). Memory needs the facts
that change slowly and get asked about (where people live and work, who they
are with, what they like, what they are allergic to). So the parser finds the
clause structure and these tables decide which clauses are facts and how to
name their relation. Add a verb here, not a branch in the matcher.

Kinds (how a temporal phrase attached to the clause sets the fact's times):
``state`` holds over time, ``start`` begins a state, ``end`` ends one
(the fact is emitted negated), ``event`` happens once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, NamedTuple


class Rule(NamedTuple):
    relation: str  # canonical relation
    kind: str  # state | start | end | event
    obj: str = "any"  # any | place (PROPN/entity) | org (PROPN) | job | pet | poss | person


# (verb lemma, particle or "", preposition or "dobj") -> rule. "dobj" means the
# direct object; "none" means the clause needs no object (an ending with "*").
VERB_RULES: dict[tuple[str, str, str], Rule] = {
    ("live", "", "in"): Rule("live in", "state", "place"),
    ("live", "", "at"): Rule("live in", "state", "place"),
    ("reside", "", "in"): Rule("live in", "state", "place"),
    ("move", "", "to"): Rule("live in", "start", "place"),
    ("move", "back", "to"): Rule("live in", "start", "place"),
    ("relocate", "", "to"): Rule("live in", "start", "place"),
    ("settle", "", "in"): Rule("live in", "start", "place"),
    ("move", "", "from"): Rule("live in", "end", "place"),
    ("move", "out", "of"): Rule("live in", "end", "place"),
    ("move", "away", "from"): Rule("live in", "end", "place"),
    ("grow", "up", "in"): Rule("grow up in", "state", "place"),
    ("come", "", "from"): Rule("be from", "state", "place"),
    ("bear", "", "in"): Rule("be born in", "event", "any"),
    ("bear", "", "on"): Rule("be born on", "event", "any"),
    ("work", "", "at"): Rule("work at", "state", "any"),
    ("work", "", "for"): Rule("work at", "state", "any"),
    ("work", "", "as"): Rule("work as", "state", "any"),
    ("start", "", "at"): Rule("work at", "start", "any"),
    ("start", "", "as"): Rule("work as", "start", "any"),
    ("join", "", "as"): Rule("work as", "start", "any"),
    ("hire", "", "as"): Rule("work as", "start", "any"),
    ("promote", "", "to"): Rule("work as", "start", "any"),
    ("bump", "up", "to"): Rule("work as", "start", "any"),
    ("join", "", "dobj"): Rule("work at", "start", "org"),
    ("teach", "", "at"): Rule("work at", "state", "any"),
    ("volunteer", "", "at"): Rule("volunteer at", "state", "any"),
    ("volunteer", "", "with"): Rule("volunteer at", "state", "any"),
    ("retire", "", "from"): Rule("work at", "end", "any"),
    ("retire", "", "none"): Rule("work at", "end", "any"),
    ("resign", "", "from"): Rule("work at", "end", "any"),
    ("lay", "off", "none"): Rule("work at", "end", "any"),
    ("lay", "off", "from"): Rule("work at", "end", "any"),
    ("fire", "", "none"): Rule("work at", "end", "any"),
    ("fire", "", "from"): Rule("work at", "end", "any"),
    ("quit", "", "dobj"): Rule("work at", "end", "job"),
    ("give", "up", "dobj"): Rule("work at", "end", "job"),
    ("leave", "", "dobj"): Rule("work at", "end", "job"),
    ("lose", "", "dobj"): Rule("work at", "end", "job"),
    ("study", "", "dobj"): Rule("study", "state", "any"),
    ("study", "", "at"): Rule("study at", "state", "any"),
    ("major", "", "in"): Rule("study", "state", "any"),
    ("graduate", "", "from"): Rule("graduate from", "event", "any"),
    ("go", "", "to"): Rule("visit", "event", "place"),
    ("travel", "", "to"): Rule("visit", "event", "place"),
    ("fly", "", "to"): Rule("visit", "event", "place"),
    ("visit", "", "dobj"): Rule("visit", "event", "any"),
    ("marry", "", "dobj"): Rule("be married to", "start", "person"),
    ("divorce", "", "dobj"): Rule("be married to", "end", "person"),
    ("divorce", "", "none"): Rule("be married to", "end", "person"),
    ("date", "", "dobj"): Rule("date", "state", "person"),
    ("base", "", "in"): Rule("live in", "state", "place"),  # "he's based in Dubai"
    ("break", "up", "with"): Rule("date", "end", "person"),
    ("break", "up", "none"): Rule("date", "end", "person"),
    ("split", "up", "with"): Rule("date", "end", "person"),
    ("split", "up", "none"): Rule("date", "end", "person"),
    ("adopt", "", "dobj"): Rule("have", "start", "poss"),
    ("get", "", "dobj"): Rule("have", "start", "poss"),
    ("open", "", "dobj"): Rule("have", "start", "poss"),
    ("run", "", "dobj"): Rule("have", "state", "poss"),
    ("play", "", "for"): Rule("play for", "state", "place"),  # a named team
    ("buy", "", "dobj"): Rule("have", "start", "poss"),
    ("sell", "", "dobj"): Rule("have", "end", "poss"),
    ("have", "", "dobj"): Rule("have", "state", "poss"),
    ("own", "", "dobj"): Rule("have", "state", "poss"),
    ("like", "", "dobj"): Rule("like", "state"),
    ("love", "", "dobj"): Rule("like", "state"),
    ("enjoy", "", "dobj"): Rule("like", "state"),
    ("adore", "", "dobj"): Rule("like", "state"),
    ("hate", "", "dobj"): Rule("dislike", "state"),
    ("dislike", "", "dobj"): Rule("dislike", "state"),
    ("detest", "", "dobj"): Rule("dislike", "state"),
    ("loathe", "", "dobj"): Rule("dislike", "state"),
    ("stand", "", "dobj"): Rule("dislike", "state"),  # only "can't stand": checked in rules
    ("prefer", "", "dobj"): Rule("prefer", "state"),
    ("read", "", "dobj"): Rule("read", "event"),
    ("watch", "", "dobj"): Rule("watch", "event"),
    ("binge", "", "dobj"): Rule("watch", "event"),
    ("listen", "", "to"): Rule("listen to", "event"),
    ("play", "", "dobj"): Rule("play", "state"),
    ("speak", "", "dobj"): Rule("speak", "state"),
    ("learn", "", "dobj"): Rule("learn", "state"),
    ("practice", "", "dobj"): Rule("practice", "state"),
    ("do", "", "dobj"): Rule("do", "state"),
    ("eat", "", "dobj"): Rule("eat", "state"),
    ("drink", "", "dobj"): Rule("drink", "state"),
}

#: Verbs that only carry a fact when negated/ended or habitual, never as a past event.
HABIT_ONLY = {"eat", "drink", "do", "play"}

#: Liking verbs: plain negation means "dislike", not the end of a liking.
LIKE_VERBS = {"like", "love", "enjoy", "adore"}

#: A governing verb + xcomp: "started working at", "stopped eating meat".
START_VERBS = {"start", "begin"}
STOP_VERBS = {"stop", "quit"}
#: Verbs that end what their gerund names ("left teaching", "gave up climbing").
LEAVE_VERBS = {"leave", "give"}
PLAN_VERBS = {"plan", "intend", "go"}  # "planning to move", "going to visit"
#: Progressive forms of these are plans ("we're moving to Berlin").
PROGRESSIVE_PLANS = {"move", "go", "fly", "travel", "visit", "relocate", "head", "start", "buy"}
#: Relations two people share, stated with a coordinated subject and no object:
#: "Zoe and I got married" -> (speaker, be married to, Zoe). Keyed by (lemma or word,
#: particle); "get married/engaged" turns a state into a start. "see" counts only with
#: "each other" ("we've been seeing each other").
SYMMETRIC: dict[tuple[str, str], tuple[str, str]] = {
    ("marry", ""): ("be married to", "state"),
    ("married", ""): ("be married to", "state"),
    ("wed", ""): ("be married to", "start"),
    ("engage", ""): ("be engaged to", "state"),
    ("engaged", ""): ("be engaged to", "state"),
    ("date", ""): ("date", "state"),
    ("see", ""): ("date", "state"),
    ("divorce", ""): ("be married to", "end"),
    ("divorced", ""): ("be married to", "end"),
    ("break", "up"): ("date", "end"),
    ("split", "up"): ("date", "end"),
}
#: Unnamed people a name can follow: "seeing someone new, Bruno", "a guy named Marco".
SOMEONE_WORDS = {"someone", "somebody", "guy", "girl", "man", "woman", "person", "lady", "dude"}
#: Titles that make "seeing Dr. Patel" an appointment, not dating.
TITLES = {"dr", "dr.", "doctor", "prof", "prof.", "professor", "nurse", "therapist"}
#: Event relations whose object must say which one: "watched a movie" names nothing
#: ("watched a horror movie", "watched Dune" do).
GENERIC_EVENT_RELATIONS = {"watch", "read", "listen to", "visit"}
INDEFINITE_DETS = {"a", "an", "another", "some", "any"}
#: Job-ish nouns: "a job at X", "my job" (object of quit/get/start).
JOB_NOUNS = {"job", "position", "role", "internship", "gig"}
#: "a trip to Italy": the place is visited ("took", "went on", "back from" a trip).
TRIP_NOUNS = {"trip", "vacation", "holiday", "journey", "getaway", "honeymoon", "vacay", "visit"}
TRIP_VERBS = {
    "take",
    "go",
    "have",
    "book",
    "plan",
    "enjoy",
    "finish",
    "return",
    "get",
    "come",
    "be",
}
JOB_START_VERBS = {"get", "start", "land", "take", "accept", "find", "begin"}
JOB_END_VERBS = {"quit", "leave", "lose", "give"}  # "give" only as "give up"
#: Fields of work named by a mass noun or gerund, mapped to the role they end or start
#: ("I quit nursing" closes ``work as | nurse``): the store matches objects by name, so an
#: ending must name the role the way a statement of the role would ("I'm a nurse").
#: Only fields that are clearly occupations: "photography" or "cooking" are hobbies as often.
ROLE_FIELDS = {
    "nursing": "nurse", "teaching": "teacher", "accounting": "accountant",
    "accountancy": "accountant", "law": "lawyer", "journalism": "journalist",
    "bartending": "bartender", "waitressing": "waitress", "consulting": "consultant",
    "tutoring": "tutor", "nannying": "nanny", "babysitting": "babysitter", "banking": "banker",
    "engineering": "engineer", "medicine": "doctor", "dentistry": "dentist",
    "pharmacy": "pharmacist", "modelling": "model", "modeling": "model", "acting": "actor",
    "freelancing": "freelancer", "plumbing": "plumber", "carpentry": "carpenter",
    "policing": "police officer", "hairdressing": "hairdresser", "midwifery": "midwife",
    "physiotherapy": "physiotherapist", "physio": "physiotherapist", "coaching": "coach",
    "lecturing": "lecturer", "farming": "farmer", "copywriting": "copywriter",
    "social work": "social worker", "academia": "academic", "veterinary": "veterinarian",
    "architecture": "architect",
}  # fmt: skip
#: Verbs whose doer has a role ("I stopped teaching" ends ``work as | teacher``).
ROLE_VERBS = {
    "teach": "teacher", "nurse": "nurse", "tutor": "tutor", "coach": "coach",
    "bartend": "bartender", "babysit": "babysitter", "freelance": "freelancer",
    "lecture": "lecturer", "nanny": "nanny", "waitress": "waitress",
}  # fmt: skip
#: Common nouns that name a workplace, so "joined the climate lab" is a job (while
#: "joined a gym" or "joined the choir" is not).
WORKPLACE_NOUNS = {
    "lab", "laboratory", "company", "firm", "startup", "start-up", "agency", "hospital",
    "clinic", "department", "bank", "consultancy", "newsroom", "ministry", "charity",
    "nonprofit", "ngo", "studio", "bakery", "restaurant", "office", "school",
    "university", "institute", "council", "paper", "newspaper", "magazine", "publisher",
    "factory", "plant", "warehouse", "shop", "store", "museum", "library", "kitchen", "hotel",
    "salon", "site", "surgery", "embassy", "consulate", "brewery", "café", "cafe", "bar", "pub",
    "practice",
}  # fmt: skip
#: Words that make a place a school: "my first day at Leeds Uni" starts studies, not a job.
SCHOOL_WORDS = {"university", "uni", "college", "school", "academy", "polytechnic"}
#: Words in a name that make it a club rather than an employer ("joined Kelvin Netball Club").
CLUB_WORDS = {
    "club", "fc", "choir", "band", "society", "league", "gym", "orchestra", "group", "crew",
    "guild", "association", "circle", "community",
}  # fmt: skip

#: A turn that talks about a sport: there, joining or leaving a named outfit is a team
#: ("I've joined Salthill Sharks for this season", "they needed a goal defence"), not a job.
SPORT_RE = re.compile(
    r"\b(?:season|coach|league|fixtures?|squad|netball|rugby|football|soccer|hockey|cricket"
    r"|basketball|volleyball|handball|baseball|lacrosse|striker|goalkeeper|goalie|defender"
    r"|midfielder|winger|flanker|scrum|goal (?:defence|defense|attack|shooter|keeper))\b",
    re.IGNORECASE,
)

# Kin and pets: relation used for "my <noun> <Name>", and normal form for subjects.
KIN = {
    "mother": "mother", "mom": "mother", "mum": "mother", "mommy": "mother", "mama": "mother",
    "father": "father", "dad": "father", "daddy": "father", "papa": "father",
    "parent": "parent", "parents": "parents", "sister": "sister", "brother": "brother",
    "sibling": "sibling", "son": "son", "daughter": "daughter", "kid": "child",
    "kids": "children", "child": "child", "children": "children", "baby": "baby",
    "grandmother": "grandmother", "grandma": "grandmother", "granny": "grandmother",
    "nana": "grandmother", "grandfather": "grandfather", "grandpa": "grandfather",
    "granddad": "grandfather", "grandson": "grandson", "granddaughter": "granddaughter",
    "aunt": "aunt", "uncle": "uncle", "cousin": "cousin", "niece": "niece",
    "nephew": "nephew", "friend": "friend", "roommate": "roommate", "coworker": "coworker",
    "colleague": "colleague", "boss": "boss", "neighbor": "neighbor", "neighbour": "neighbor",
    "mentor": "mentor", "husband": "husband", "wife": "wife", "hubby": "husband",
    "boyfriend": "boyfriend", "girlfriend": "girlfriend", "partner": "partner",
    "fiance": "fiance", "fiancé": "fiance", "fiancee": "fiancee", "fiancée": "fiancee",
    "spouse": "spouse", "stepmother": "stepmother", "stepfather": "stepfather",
    "stepson": "stepson", "stepdaughter": "stepdaughter", "sisters": "sisters",
    "brothers": "brothers", "grandparents": "grandparents", "twin": "twin",
    "flatmate": "flatmate", "housemate": "housemate",
}  # fmt: skip
#: "my <kin> <Name>" -> this relation from the owner to Name (default: "have <kin>").
KIN_RELATION = {
    "husband": "be married to",
    "wife": "be married to",
    "spouse": "be married to",
    "boyfriend": "date",
    "girlfriend": "date",
    "partner": "date",
    "fiance": "be engaged to",
    "fiancee": "be engaged to",
}
PETS = {
    "dog", "cat", "puppy", "kitten", "pup", "hamster", "parrot", "rabbit", "bunny", "fish",
    "goldfish", "horse", "pony", "bird", "turtle", "tortoise", "snake", "lizard", "gecko",
    "ferret", "chinchilla", "hedgehog", "pig", "guinea", "budgie", "canary", "cockatiel",
}  # fmt: skip
#: Breeds and kinds people name instead of the species ("our lurcher Bramble").
PET_BREEDS = {
    "poodle", "labrador", "retriever", "collie", "spaniel", "terrier", "beagle", "pug",
    "dachshund", "greyhound", "lurcher", "whippet", "husky", "corgi", "schnauzer", "chihuahua",
    "bulldog", "boxer", "dalmatian", "rottweiler", "shepherd", "alsatian", "setter", "pointer",
    "sheepdog", "cockapoo", "labradoodle", "tabby", "siamese", "persian", "ragdoll", "budgie",
    "rat", "gerbil", "axolotl", "tarantula", "duck", "chicken", "goat", "sheep",
    "cockatoo", "macaw", "iguana", "frog", "newt", "alpaca", "donkey", "cow",
}  # fmt: skip
#: Things whose possession is worth remembering ("I have a car", "we bought a house").
POSSESSIONS = {
    "car", "house", "home", "apartment", "condo", "flat", "bike", "bicycle", "motorcycle",
    "motorbike", "boat", "truck", "van", "cabin", "cottage", "piano", "guitar", "camera",
    "farm", "garden", "business", "shop", "store", "restaurant", "bakery", "studio", "tattoo",
    "scooter", "rv", "yacht", "minivan", "suv", "jeep", "tesla", "printer", "kayak", "canoe",
    "drone", "telescope", "caravan", "campervan", "allotment", "e-bike", "ebike", "salon",
    "cafe", "café",
}  # fmt: skip
#: Conditions: "I have asthma" -> (have, asthma).
CONDITIONS = {
    "asthma", "diabetes", "adhd", "autism", "celiac", "anxiety", "depression", "arthritis",
    "epilepsy", "migraines", "insomnia", "dyslexia", "eczema", "allergies",
}  # fmt: skip

OCCUPATIONS = {
    "accountant", "actor", "actress", "architect", "artist", "attorney", "baker", "banker",
    "barista", "bartender", "carpenter", "cashier", "chef", "cook", "chemist", "coach",
    "consultant", "counselor", "dancer", "dentist", "designer", "developer", "doctor",
    "driver", "economist", "editor", "electrician", "engineer", "farmer", "firefighter",
    "historian", "journalist", "judge", "lawyer", "librarian", "manager", "mechanic",
    "musician", "nurse", "painter", "paramedic", "pharmacist", "photographer", "physician",
    "physicist", "pilot", "plumber", "police", "officer", "policeman", "professor",
    "programmer", "psychologist", "researcher", "scientist", "singer", "surgeon",
    "teacher", "therapist", "translator", "tutor", "veterinarian", "vet", "waiter",
    "waitress", "writer", "author", "analyst", "administrator", "receptionist",
    "technician", "student", "intern", "freelancer", "entrepreneur", "ceo", "founder",
    "director", "producer", "soldier", "dj", "realtor", "hairdresser", "stylist",
    "caregiver", "babysitter", "nanny", "cop", "detective", "lecturer", "principal",
    "solicitor", "barrister", "lifeguard", "carer", "welder", "plasterer", "bricklayer",
    "optometrist", "courier",
}  # fmt: skip
#: Identity nouns/adjectives for "I'm (a) X" -> (be, X).
IDENTITY = {
    "vegan", "vegetarian", "pescatarian", "single", "pregnant", "left-handed", "introvert",
    "extrovert", "christian", "muslim", "jewish", "buddhist", "hindu", "atheist", "gay",
    "lesbian", "bisexual", "transgender", "trans", "nonbinary", "diabetic", "celiac",
    "sober", "teetotal", "lactose", "retired",
}  # fmt: skip

#: Adjectives that describe the speaker's feelings about an object, not the object.
EVALUATIVE = {
    "new", "little", "great", "amazing", "awesome", "lovely", "cute", "beautiful", "nice",
    "wonderful", "adorable", "sweet", "fantastic", "cool", "favorite", "favourite", "brand",
    "huge", "big", "good", "best", "dear", "beloved", "own", "first", "latest", "whole",
    "same", "only", "usual",
    "entire", "fabulous", "gorgeous", "precious", "incredible", "sweetest", "super",
    "qualified",  # "a fully qualified electrician" is an electrician
}  # fmt: skip
#: Objects that name nothing rememberable.
JUNK_OBJECTS = {
    "it", "that", "this", "these", "those", "thing", "things", "stuff", "one", "lot", "lots",
    "much", "nothing", "anything", "something", "everything", "time", "idea", "question",
    "day", "way", "fun", "chance", "feeling", "moment", "bit", "kind", "sort", "what",
    "which", "all", "both", "some", "any", "none", "homework", "laundry", "dishes",
    "best", "part", "rest", "trip", "break", "plan", "plans", "sense", "look", "job",
    "more", "less", "most", "ones", "guys", "folks", "people", "everyone", "everybody",
    "days", "week", "weeks", "month", "months", "year", "years", "hour", "hours",
    "beginning", "middle", "end",  # "started at X at the beginning of the month"
    "minute", "minutes", "ages", "while", "moments", "times", "own", "favorite", "favorites",
    "ok", "okay", "cheers", "great", "well", "fine", "alright", "work", "service", "blast",
    "other",  # "engaged to each other"
}  # fmt: skip
#: Quantity heads whose "of" complement is the real object ("a lot of sci-fi").
QUANTITY_HEADS = {
    "lot", "lots", "bunch", "ton", "tons", "couple", "few", "kind", "kinds", "type", "types",
    "sort", "sorts", "piece", "variety", "number", "collection", "series", "pair",
}  # fmt: skip
#: Activities that make sense as a bare gerund object ("I love hiking").
ACTIVITIES = {
    "hike", "swim", "run", "cook", "bake", "paint", "draw", "read", "write", "travel", "camp",
    "fish", "dance", "sing", "ski", "surf", "climb", "cycle", "bike", "garden", "knit", "sew",
    "hunt", "skate", "skateboard", "snowboard", "jog", "walk", "shop", "game", "meditate",
    "sail", "kayak", "golf", "bowl", "box", "kickbox", "crochet", "journal", "blog", "film",
    "photograph", "volunteer", "teach", "study", "learn", "code", "program", "sketch",
}  # fmt: skip
#: Gerunds too light to be an object on their own ("I love being ...", "I hate making ...").
LIGHT_VERBS = {
    "be", "have", "get", "feel", "go", "do", "make", "take", "see", "say", "think", "know",
    "keep", "let", "try", "need", "want", "come", "put", "give", "find", "use", "look",
}  # fmt: skip

# --------------------------------------------------------------------------- everyday facts
# Words for the relations people state in passing (issue 14): homes, workplaces, diets,
# hobbies, cars and phones. Each list names a kind of thing, never a sentence.

#: Nouns for where someone lives: "our place in Porto", "my flat in Leith".
HOME_NOUNS = {
    "place", "flat", "apartment", "house", "home", "condo", "studio", "building", "street",
    "neighbourhood", "neighborhood", "kitchen", "garden", "balcony", "bedroom", "neighbours",
    "neighbors", "neighbour", "neighbor", "landlord", "landlady", "lease", "rent", "two-bed",
    "one-bed", "loft", "bungalow", "cottage", "townhouse", "digs", "sublet",
}  # fmt: skip
#: Homes one buys or rents (a house bought in X means living there, a holiday cottage not).
HOME_TO_LIVE = {"place", "flat", "apartment", "house", "home", "condo", "studio", "two-bed",
                "one-bed", "loft", "bungalow", "townhouse"}  # fmt: skip
#: People and things of one's job: "my team at Spotify", "my boss at Infosys".
WORK_NOUNS = {
    "team", "boss", "manager", "colleague", "colleagues", "coworker", "coworkers",
    "co-worker", "co-workers", "office", "job", "desk", "department", "supervisor",
    "employer", "workplace", "role", "position", "contract", "shift", "shifts", "squad",
    "teammates", "lab", "unit", "ward", "clinic", "store", "branch", "internship",
}  # fmt: skip
#: Adjectives that make a job, team or home a former one ("my old job at the council").
FORMER = {"old", "former", "previous", "last", "ex"}
#: Diets: "I'm vegan", "I went keto", "the only veggie"; normalised names.
DIETS = {
    "vegan": "vegan", "vegetarian": "vegetarian", "veggie": "vegetarian",
    "pescatarian": "pescatarian", "pescetarian": "pescatarian", "keto": "keto",
    "paleo": "paleo", "gluten-free": "gluten-free", "dairy-free": "dairy-free",
    "plant-based": "plant-based", "flexitarian": "flexitarian", "carnivore": "carnivore",
    "halal": "halal", "kosher": "kosher", "lactose-free": "lactose-free",
}  # fmt: skip
#: Eating these again ends a meat-free diet ("I'm eating meat again").
MEATS = {"meat", "chicken", "beef", "pork", "lamb", "steak", "bacon", "burgers", "ham", "turkey"}
#: Activities that make a hobby (verbs as lemmas, also their gerunds as nouns).
HOBBY_VERBS = ACTIVITIES | {
    "boulder", "paddleboard", "crochet", "row", "fence", "quilt", "embroider", "skydive",
    "scuba", "dive", "snorkel", "birdwatch", "windsurf", "kitesurf", "hillwalk", "trek",
    "rollerblade", "spin", "lift", "weave", "whittle", "forage", "brew", "juggle", "ride",
}  # fmt: skip
#: Hobby nouns (besides gerunds of HOBBY_VERBS): "I do yoga", "took up the cello".
HOBBY_NOUNS = {
    "yoga", "pilates", "pottery", "ceramics", "woodworking", "woodwork", "leatherwork",
    "photography", "birdwatching", "birding", "chess", "golf", "tennis", "football", "soccer",
    "netball", "rugby", "cricket", "basketball", "volleyball", "badminton", "squash",
    "hockey", "baseball", "softball", "karate", "judo", "taekwondo", "jiu-jitsu", "boxing",
    "kickboxing", "fencing", "archery", "parkour", "crossfit", "zumba", "salsa", "tango",
    "ballet", "gymnastics", "triathlon", "triathlons", "marathons", "calligraphy", "origami",
    "astronomy", "gardening", "baking", "guitar", "piano", "violin", "cello", "drums", "bass",
    "ukulele", "saxophone", "trumpet", "flute", "harp", "banjo", "mandolin", "clarinet",
    "choir", "darts", "snooker", "pool", "bowling", "climbing", "bouldering", "surfing",
    "sailing", "kayaking", "canoeing", "rowing", "cycling", "running", "swimming", "hiking",
    "skiing", "snowboarding", "skating", "knitting", "crochet", "sewing", "quilting",
    "painting", "drawing", "sketching", "scrapbooking", "embroidery", "cross-stitch",
    "padel", "frisbee", "ultimate", "lacrosse", "polo", "curling", "orienteering", "geocaching",
}  # fmt: skip
#: Nouns for "X is my thing": "Knitting is my thing", "My main hobby is pottery".
HOBBY_WORDS = {"hobby", "hobbies", "thing", "passion", "obsession", "pastime", "routine"}
#: Clubs one joins for a hobby ("joined a choir"), never an employer.
CLUB_NOUNS = {"choir", "band", "orchestra", "club", "league", "team", "crew", "troupe", "ensemble"}
#: Car makes and models (lower case); a make may be followed by its model ("Skoda Fabia").
CAR_MAKES = {
    "volvo", "saab", "tesla", "polestar", "kia", "hyundai", "fiat", "skoda", "škoda", "toyota",
    "honda", "ford", "vw", "volkswagen", "bmw", "mercedes", "mercedes-benz", "audi", "peugeot",
    "renault", "citroen", "citroën", "nissan", "mazda", "subaru", "mini", "smart", "jeep",
    "chevy", "chevrolet", "dodge", "rivian", "lexus", "porsche", "jaguar", "dacia", "seat",
    "cupra", "opel", "vauxhall", "suzuki", "mitsubishi", "lada", "alfa", "lancia", "byd", "mg",
    "cadillac", "buick", "chrysler", "lucid", "genesis", "landrover", "range", "land", "ram",
}  # fmt: skip
CAR_MODELS = {
    "civic", "corolla", "golf", "polo", "octavia", "fabia", "yaris", "leaf", "prius", "mustang",
    "f-150", "rav4", "camry", "clio", "passat", "focus", "fiesta", "enyaq", "ioniq",
    "ev6", "outback", "forester", "cr-v", "jazz", "micra", "qashqai", "juke", "panda", "punto",
    "astra", "corsa", "twingo", "megane", "kuga", "transit", "wrangler", "cherokee", "tacoma",
    "tundra", "accord", "sandero", "duster", "beetle", "tiguan", "id.4", "id.3", "e-208",
    "cayenne", "impreza", "miata", "mx-5", "swift", "picanto", "sportage", "tucson",
    "i30", "i10", "kona", "niro", "e-golf", "mégane", "berlingo", "c3", "v70", "v60",
    "v90", "xc40", "xc60", "xc90", "240", "9-3", "9-5", "defender", "discovery", "evoque",
}  # fmt: skip
#: Phone makes and lines: "a Pixel 7", "iPhone 13 Pro", "Galaxy S23", "Fairphone 4".
PHONE_MAKES = {
    "iphone", "pixel", "galaxy", "samsung", "oneplus", "fairphone", "moto", "motorola",
    "xiaomi", "redmi", "huawei", "oppo", "xperia", "nokia", "blackberry", "poco", "realme",
    "honor", "vivo", "zenfone", "asus",
}  # fmt: skip
#: Verbs that get (start), keep (state) or lose (end) a car or phone.
DEVICE_START = {"buy", "get", "lease", "pick", "switch", "upgrade", "treat", "adopt",
                "inherit", "receive", "gift", "collect"}  # fmt: skip
DEVICE_STATE = {"have", "own", "drive", "use", "rock", "park", "squeeze", "charge"}
DEVICE_END = {"sell", "trade", "scrap", "crash", "total", "return", "lose", "break", "give",
              "pass", "donate", "smash"}  # fmt: skip
#: Degree words: "a nursing degree at Cardiff", "doing a master's in global health".
DEGREE_NOUNS = {
    "degree", "masters", "master", "master's", "phd", "doctorate", "bachelor", "bachelors",
    "bachelor's", "msc", "ma", "ba", "bsc", "mba", "diploma", "course", "apprenticeship",
    "postgrad", "undergrad", "pgce", "llm", "mres", "mphil", "bootcamp",
}  # fmt: skip
#: Role head nouns beyond OCCUPATIONS: "audit senior", "tax associate", "team lead".
ROLE_HEADS = {
    "associate", "assistant", "lead", "head", "director", "officer", "senior", "specialist",
    "coordinator", "supervisor", "clerk", "advisor", "adviser", "executive", "administrator",
    "hygienist", "midwife", "vice-principal", "principal", "sister", "partner", "fellow",
    "trainee", "apprentice", "postdoc", "controller", "planner", "strategist", "auditor",
    "architect", "tester", "recruiter", "buyer", "porter", "steward", "stewardess", "guide",
    "rep", "representative", "chef", "sommelier", "curator", "archivist", "dispatcher",
    "paralegal", "physio", "radiographer", "optician", "surveyor", "inspector", "analyst",
    "engineer", "manager", "designer", "developer", "consultant", "scientist", "researcher",
    "editor", "writer", "teacher", "nurse", "doctor", "intern", "cto", "cfo", "coo", "vp",
}  # fmt: skip
#: Words ending like a role noun that are not roles ("a member at the gym").
NOT_ROLES = {
    "member", "customer", "user", "fan", "regular", "owner", "player", "supporter", "follower",
    "beginner", "winner", "loser", "lover", "mother", "father", "brother", "sister-in-law",
    "daughter", "neighbour", "neighbor", "visitor", "passenger", "student", "patient", "client",
    "tourist", "resident", "volunteer", "donor", "parent", "grandparent", "monster", "number",
    "minor", "major", "disaster", "winter", "summer", "matter", "order", "wonder", "tenant",
}  # fmt: skip

SPEAKER_PRONOUNS = {"i", "me", "myself", "we", "us", "ourselves"}
SPEAKER_POSSESSIVES = {"my", "our", "mine", "ours"}
LISTENER_PRONOUNS = {"you", "yourself", "yourselves"}
LISTENER_POSSESSIVES = {"your", "yours"}
#: Markers of hypotheticals, wishes and uncertainty: no facts from such sentences.
HYPOTHETICAL_WORDS = {
    "if", "wish", "maybe", "perhaps", "imagine", "suppose", "hypothetically", "someday",
    "hope", "hoping", "hopefully",
    "probably", "possibly", "unless", "whether", "considering", "thinking",
}  # fmt: skip
MODALS = {"would", "could", "might", "should", "may", "must", "'d", "ought"}
ENDING_ADVERBS = {"anymore", "longer"}  # "not ... anymore", "no longer"

#: Common nouns that open a chat sentence as a bare subject of "live", "work", "move",
#: "prefer" or "be" without naming a person ("Work was fine", "Home is Ghent for me",
#: "Dinner is vegan tonight", "Management moved to Berlin"): never taken as a name
#: (``clauses.initial_name``).
BARE_SUBJECTS = {
    "work", "home", "school", "college", "uni", "university", "life", "family", "everyone",
    "everybody", "nobody", "someone", "somebody", "anyone", "management", "staff", "team",
    "production", "office", "company", "business", "headquarters", "government", "support",
    "security", "marketing", "sales", "engineering", "finance", "admin", "breakfast",
    "brunch", "lunch", "dinner", "supper", "dessert", "food", "coffee", "tea", "water",
    "wine", "beer", "music", "money", "rent", "traffic", "weather", "today", "tonight",
    "tomorrow", "yesterday", "everything", "nothing", "something", "mine", "ours", "theirs",
    "part", "most", "half", "none", "all", "both", "each", "either", "neither", "nature",
    "dad", "mom", "mum", "mama", "papa", "grandma", "grandpa", "nan", "nana", "granny",
    "others", "people", "folks", "locals", "residents", "customers", "users", "members",
} | set(DIETS) | HOBBY_NOUNS | DEGREE_NOUNS  # fmt: skip

ENTITY_LABELS_SKIPPED = {"DATE", "TIME", "CARDINAL", "ORDINAL", "MONEY", "PERCENT", "QUANTITY"}

# --------------------------------------------------------------------------- pre-filter


def literal_union(words: Iterable[str]) -> str:
    """A regex matching exactly the (case-folded) ``words``, as a trie: the
    same matches as ``"|".join(map(re.escape, words))`` but each position
    tries one branch per next character instead of every word. The plain
    alternation of ~900 trigger words was a tenth of extraction's CPU on
    LoCoMo turns, run on every sentence before anything else."""
    trie: dict[str, Any] = {}
    for w in words:
        if not w:
            continue  # an empty word would make every position match
        node = trie
        for ch in w.lower():
            node = node.setdefault(ch, {})
        node[""] = {}  # a word ends here

    def emit(node: dict[str, Any]) -> str:
        ends = "" in node
        branches = [re.escape(ch) + emit(sub) for ch, sub in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if ends:  # this prefix is a word too: the rest is optional
            body = ("(?:" + body + ")" if len(branches) == 1 else body) + "?"
        return body

    return emit(trie)


#: Role heads too common in other senses to be worth a parse ("head", "lead", "partner").
_COMMON_ROLE_HEADS = {
    "lead", "head", "senior", "sister", "partner", "fellow", "assistant", "associate", "guide",
    "rep", "buyer", "porter", "tester", "executive", "clerk", "steward", "planner",
    "controller", "representative", "chef", "advisor", "adviser",
}  # fmt: skip
_IRREGULAR = (
    "born|grew|grown|went|gone|broke|broken|bought|sold|left|quit|met|flew|flown|came|began"
    "|begun|ate|eaten|drank|drunk|spoke|spoken|split|read|got|gotten|married|engaged"
    "|divorced|laid|fired|retired|joined|hired|adopted|graduated|studied|moved|lived|gave"
)
_STEMS = sorted(
    {(k[0][:-1] if k[0].endswith("e") else k[0]) for k in VERB_RULES
     if k[0] not in ("have", "do", "go", "stand", "bear", "give", "get", "open", "run", "base")}
    | {"fan", "favorite", "favourite", "allerg", "job", "used to", "no longer", "anymore",
       "doing", "going", "goes", "go to", "done with", "last day", "first day", "promot", "seeing", "trip", "vacation", "holiday", "honeymoon", "into", "from", "can't stand", "cannot stand"}
    | set(KIN) | PETS | POSSESSIONS | OCCUPATIONS | IDENTITY | CONDITIONS | set(ROLE_FIELDS)
    | (ROLE_HEADS - _COMMON_ROLE_HEADS) | {"officially"}
    | {"gave up", "give up", "giving up", "given up", "got", "get", "getting", "gotten",
       "took up", "taking up", "taken up", "taken over", "opened", "runs", "run a", "hobby",
       "hobbies", "here in", "place in", "flat in", "house in", "home", "team at", "boss at",
       "colleagues at", "office at", "manager at", "quits", "propos", "redundant", "notice",
       "transferr", "universit", "college", "my thing", "phone", "single", "called", "named",
       "flatmate", "housemate", "degree", "master's", "based in", "staying in", "stay in", "launched", "founded",
       "qualif", "retrain", "training to", "training as", "studying to", "head of", "bootcamp",
       "boot camp", "went with", "went for", "opted for", "settled on", "chose the",
       "set up my own", "set up his own", "set up her own", "set up our own", "set up their own"},
    key=len,
    reverse=True,
)  # fmt: skip
#: Whole words (short ones would match inside others: "ma" in "make", "Kia" in "Kiara").
_WORDS = sorted(
    PET_BREEDS | set(DIETS) | CAR_MAKES | CAR_MODELS | PHONE_MAKES | HOBBY_NOUNS | DEGREE_NOUNS
    | {"uni"},
    key=len,
    reverse=True,
)  # fmt: skip
#: Cheap test run before parsing: a message that matches none of these cannot
#: produce a fact under the rules, so it is never parsed.
TRIGGER_RE = re.compile(
    r"\b(?:" + literal_union([*_IRREGULAR.split("|"), *_STEMS]) + r")"
    r"|\b(?:" + literal_union(_WORDS) + r")\b|iphone",
    re.IGNORECASE,
)
#: "I'm a tax associate at EY", "been head of department at Lycée Pasteur": a role with an
#: employer, whatever the role word (role nouns are too many to list as triggers).
ROLE_AT_RE = re.compile(
    r"\b(?i:'m|am|is|'s|was|been|being|as) (?:an? |the )?(?:[\w-]+ ){0,3}(?:at|for|with) (?:the )?[A-Z]"
)
#: Academic disciplines: "three years of physics at Durham" is a degree, while "six years
#: of nursing at St Thomas'" is a job (fields that are also trades are left out).
ACADEMIC_FIELDS = {
    "physics", "chemistry", "biology", "biochemistry", "mathematics", "maths", "math", "law",
    "medicine", "history", "economics", "philosophy", "psychology", "sociology", "politics",
    "linguistics", "architecture", "geography", "geology", "literature", "english", "classics",
    "anthropology", "astronomy", "statistics", "theology", "archaeology", "pharmacy",
    "dentistry", "engineering", "science", "studies", "languages", "astrophysics", "neuroscience",
}  # fmt: skip
#: "Four years of mechanical engineering at Loughborough ...": a course with its university.
YEARS_OF_AT_RE = re.compile(r"\b(?i:years?|semesters?|terms?) of [\w' -]{3,40} at [A-Z]")
#: "I've been in Dubai since 2019", "we've been here since April": being somewhere since a
#: time is living there, whatever the place's name (place names are too many to list).
BEEN_SINCE_RE = re.compile(r"\bbeen (?:in|here|there)\b[^.!?]{0,40}\bsince\b", re.IGNORECASE)
#: A capitalised word that is not the first word of a sentence and not "I":
#: only then can NER find a name.
NAME_CANDIDATE_RE = re.compile(r"(?<![.!?]\s)(?<=\S\s)(?!I\b|I')[A-Z][\w'-]*|\b[A-Z]{2,}\b")
