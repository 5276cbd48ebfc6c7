# Container and build shortcuts. The Docker targets are not exercised by CI (no Docker engine there).
IMAGE ?= chatlab:latest
COMPOSE ?= docker compose

.PHONY: build-api build-dashboard compose-up compose-down clean-images clean-volumes

build-api:          ## compile the API and CLI (TypeScript -> dist/)
	npx tsc -p tsconfig.build.json

build-dashboard:    ## build the web dashboard (-> dist/web)
	npm run build:web

compose-up:         ## build the image and start the lab in the background
	$(COMPOSE) up -d --build

compose-down:       ## stop and remove the containers (keeps the data folders)
	$(COMPOSE) --profile postgres down

clean-images:       ## remove the lab image
	-docker image rm $(IMAGE)

clean-volumes:      ## DELETE the lab's data folders used by compose (asks first)
	@printf 'Delete ./data ./logs ./models ./pipeline_runs ./backups? [y/N] ' && read ans && [ "$$ans" = y ]
	rm -rf ./data ./logs ./models ./pipeline_runs ./backups
